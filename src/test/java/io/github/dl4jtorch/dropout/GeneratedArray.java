package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A generated input array for the property tests: shape, type, memory layout and the seed of its values. It is
 * built as a dense parent array ('c' or 'f') and, for the view layouts, a strided and/or permuted view of it, so
 * that the properties can watch the parent's other elements. Shrinks towards fewer and smaller axes, a plain
 * row-major float array and finite values.
 *
 * @param shape       the input's shape (rank 0 to 6; a zero-size axis makes it empty)
 * @param type        FLOAT, DOUBLE, HALF or BFLOAT16
 * @param order       the parent's ordering
 * @param layout      how the input lies in its parent
 * @param permutation for the permuted layouts: input axis {@code i} is axis {@code permutation[i]} of the
 *                    un-permuted array
 * @param start       for the strided layouts: the first index taken along each un-permuted axis
 * @param step        for the strided layouts: the step along each un-permuted axis
 * @param valuesSeed  seed of the parent's values
 * @param specials    whether some values are NaN, infinities, signed zeros, subnormals or huge
 */
record GeneratedArray(long[] shape, DataType type, char order, Layout layout, int[] permutation, int[] start,
                      int[] step, long valuesSeed, boolean specials) {

    /** More elements than any array of small axes has (rank 6, axes of 4: 4096). */
    private static final long LARGE = 4096;

    /** The floating types the library takes. */
    static final List<DataType> TYPES = List.of(DataType.FLOAT, DataType.DOUBLE, DataType.HALF, DataType.BFLOAT16);

    /** Values that stress the arithmetic: x * 0 is NaN or -0.0 for some, some overflow or vanish in half. */
    private static final double[] SPECIAL_VALUES = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            0.0, -0.0, 3e-39, -6e-8, 1e-30, 65504, -1e5, 1e30};

    /** How the input lies in its parent. */
    enum Layout {
        /** The parent itself. */
        DENSE,
        /** Every {@code step}-th index from {@code start} along each axis (0-D: one element of a 1-D parent). */
        STRIDED,
        /** The parent with its axes permuted. */
        PERMUTED,
        /** A strided view, then permuted. */
        STRIDED_PERMUTED;

        boolean strided() {
            return this == STRIDED || this == STRIDED_PERMUTED;
        }

        boolean permuted() {
            return this == PERMUTED || this == STRIDED_PERMUTED;
        }
    }

    /**
     * The input and the parent it lies in ({@code input == parent} for the dense layout), with the parent's raw
     * bytes and the input's values (row-major) as they were when built.
     */
    record Built(INDArray parent, INDArray input, byte[] parentBefore, double[] inputValues) {

        Built(INDArray parent, INDArray input) {
            this(parent, input, rawBytes(parent), DropoutChecks.rowMajorDouble(input));
        }

        /** Asserts the parent (so the input too) is bit for bit as it was built. */
        void assertParentUnchanged() {
            assertArrayEquals(parentBefore, rawBytes(parent), "the input's parent changed");
        }

        /** Asserts the parent is bit for bit as it was built, except at the input's own elements. */
        void assertParentUnchangedOutsideTheInput() {
            byte[] after = rawBytes(parent);
            int width = parent.dataType().width();
            boolean[] inside = new boolean[parentBefore.length / width];
            for (long position : positionsInParent(input)) {
                inside[(int) position] = true;
            }
            for (int element = 0; element < inside.length; element++) {
                if (!inside[element] && !Arrays.equals(parentBefore, element * width, (element + 1) * width, after,
                        element * width, (element + 1) * width)) {
                    fail("parent element " + element + " outside the input changed: "
                            + valueAt(parentBefore, element, parent.dataType()) + " -> "
                            + valueAt(after, element, parent.dataType()));
                }
            }
        }
    }

    /** A dense array of {@code shape} with Gaussian values from {@code seed}. */
    static GeneratedArray dense(long[] shape, DataType type, char order, long seed) {
        return new GeneratedArray(shape, type, order, Layout.DENSE, identity(shape.length), new int[shape.length],
                ones(shape.length), seed, false);
    }

    /**
     * A random array of {@code rank} axes of 1 to a few elements each. One in twelve has a zero-size axis; one in
     * sixteen is large, 2^15 to 2^18 elements (one long axis), so that masks span several of the kernel's chunks
     * and, from 2^17 lanes, are drawn in parallel.
     */
    static GeneratedArray generate(SplittableRandom random, int rank) {
        int maxSize = rank <= 2 ? 9 : rank <= 4 ? 5 : 4;
        long[] shape = new long[rank];
        for (int axis = 0; axis < rank; axis++) {
            shape[axis] = 1 + random.nextInt(maxSize);
        }
        if (rank > 0 && random.nextInt(12) == 0) {
            shape[random.nextInt(rank)] = 0;
        } else if (rank > 0 && random.nextInt(16) == 0) {
            int longAxis = random.nextInt(rank);
            shape[longAxis] = 1;
            shape[longAxis] = (1L << 15 + random.nextInt(4)) / DropoutOracle.length(shape) + random.nextInt(7);
        }
        return generate(random, shape);
    }

    /** A random type, layout and values for an array of {@code shape}. */
    static GeneratedArray generate(SplittableRandom random, long[] shape) {
        int rank = shape.length;
        boolean empty = Arrays.stream(shape).anyMatch(s -> s == 0);
        Layout layout;
        int pick = random.nextInt(10);
        if (pick < 3 || rank == 0 && pick >= 7) {
            layout = Layout.DENSE;
        } else if (pick < 5) {
            layout = empty ? Layout.DENSE : Layout.STRIDED;
        } else if (pick < 8) {
            layout = rank < 2 ? Layout.DENSE : Layout.PERMUTED;
        } else {
            layout = empty ? (rank < 2 ? Layout.DENSE : Layout.PERMUTED)
                    : rank < 2 ? Layout.STRIDED : Layout.STRIDED_PERMUTED;
        }
        int[] permutation = IntStream.range(0, rank).toArray();
        if (layout.permuted()) {
            for (int i = rank - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = swap;
            }
        }
        int[] start = new int[rank];
        int[] step = new int[rank];
        // Large arrays are strided along one axis only, so that their parent stays at most 3 times as large.
        boolean large = DropoutOracle.length(shape) > LARGE;
        int stridedAxis = rank == 0 ? 0 : random.nextInt(rank);
        for (int axis = 0; axis < rank; axis++) {
            boolean strided = layout.strided() && (!large || axis == stridedAxis);
            step[axis] = strided ? 1 + random.nextInt(3) : 1;
            start[axis] = strided ? random.nextInt(2) : 0;
        }
        return new GeneratedArray(shape, TYPES.get(random.nextInt(TYPES.size())), random.nextBoolean() ? 'c' : 'f',
                layout, permutation, start, step, random.nextLong(), random.nextInt(4) == 0);
    }

    int rank() {
        return shape.length;
    }

    long length() {
        return DropoutOracle.length(shape);
    }

    boolean isEmpty() {
        return length() == 0;
    }

    /** This array with another shape of the same rank (layout, steps and permutation kept). */
    GeneratedArray withShape(long[] newShape) {
        return new GeneratedArray(newShape, type, order, layout, permutation, start, step, valuesSeed, specials);
    }

    GeneratedArray withType(DataType newType) {
        return new GeneratedArray(shape, newType, order, layout, permutation, start, step, valuesSeed, specials);
    }

    GeneratedArray withSpecials(boolean withSpecials) {
        return new GeneratedArray(shape, type, order, layout, permutation, start, step, valuesSeed, withSpecials);
    }

    /** Builds the parent, fills it with this array's values and takes the input from it. */
    Built build() {
        int rank = rank();
        long[] unpermuted = new long[rank];
        for (int i = 0; i < rank; i++) {
            unpermuted[permutation[i]] = shape[i];
        }
        long[] parentShape = unpermuted.clone();
        if (layout.strided()) {
            for (int axis = 0; axis < rank; axis++) {
                parentShape[axis] = start[axis] + unpermuted[axis] * step[axis];
            }
        }
        if (layout.strided() && rank == 0) {
            parentShape = new long[] {3};
        }
        INDArray parent = filled(parentShape);
        INDArray input = parent;
        if (layout.strided()) {
            INDArrayIndex[] index = rank == 0 ? new INDArrayIndex[] {NDArrayIndex.point(2)} : new INDArrayIndex[rank];
            for (int axis = 0; axis < rank; axis++) {
                index[axis] = NDArrayIndex.interval(start[axis], step[axis], parentShape[axis]);
            }
            input = parent.get(index);
        }
        if (layout.permuted()) {
            input = input.permute(permutation);
        }
        if (!Arrays.equals(shape, input.shape())) {
            throw new IllegalStateException("built " + Arrays.toString(input.shape()) + " for " + this);
        }
        return new Built(parent, input);
    }

    private INDArray filled(long[] parentShape) {
        long n = DropoutOracle.length(parentShape);
        if (n == 0) {
            return Nd4j.create(type, parentShape, order);
        }
        SplittableRandom values = new SplittableRandom(valuesSeed);
        double[] data = new double[(int) n];
        for (int i = 0; i < data.length; i++) {
            data[i] = specials && values.nextInt(6) == 0 ? SPECIAL_VALUES[values.nextInt(SPECIAL_VALUES.length)]
                    : 2 * values.nextGaussian();
        }
        INDArray doubles = parentShape.length == 0 ? Nd4j.scalar(data[0]) : Nd4j.create(data, parentShape, 'c');
        return doubles.castTo(type).dup(order);
    }

    /**
     * The raw bytes of a dense array's buffer (native order): what "unchanged bit for bit" compares, NaN payloads
     * and signed zeros included.
     */
    static byte[] rawBytes(INDArray dense) {
        if (dense.isEmpty()) {
            return new byte[0];
        }
        ByteBuffer buffer = dense.data().asNio().order(ByteOrder.nativeOrder());
        byte[] bytes = new byte[(int) (dense.data().length() * dense.dataType().width())];
        buffer.get(0, bytes);
        return bytes;
    }

    /**
     * The positions, in its parent's buffer, of {@code input}'s elements in row-major order, from the view's offset
     * and strides.
     */
    static long[] positionsInParent(INDArray input) {
        long[] inputShape = input.shape();
        long[] stride = input.stride();
        long n = input.length();
        long[] positions = new long[(int) n];
        for (int i = 0; i < n; i++) {
            long rest = i;
            long position = input.offset();
            for (int axis = inputShape.length - 1; axis >= 0; axis--) {
                position += rest % inputShape[axis] * stride[axis];
                rest /= inputShape[axis];
            }
            positions[i] = position;
        }
        return positions;
    }

    /** Element {@code position} of a raw buffer of {@code type}, as a double (exact for all four types). */
    static double valueAt(byte[] raw, long position, DataType type) {
        ByteBuffer buffer = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        int at = (int) (position * type.width());
        return switch (type) {
            case DOUBLE -> buffer.getDouble(at);
            case FLOAT -> buffer.getFloat(at);
            case BFLOAT16 -> Float.intBitsToFloat((buffer.getShort(at) & 0xffff) << 16);
            case HALF -> halfToDouble(buffer.getShort(at) & 0xffff);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** IEEE binary16 bits to their value. */
    private static double halfToDouble(int bits) {
        int exponent = bits >>> 10 & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude = exponent == 0 ? mantissa * 0x1p-24
                : exponent == 31 ? (mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : (1024 + mantissa) * Math.scalb(1.0, exponent - 25);
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /**
     * Simpler arrays, most simplifying first: finite values, plain layouts, float, row-major; then one axis
     * fewer, one axis of size 1, an axis shorter by a half, a quarter, ... one element (so that a large array
     * shrinks in about as many steps as a bisection; a zero-size axis grows to 1).
     */
    List<GeneratedArray> shrinks() {
        List<GeneratedArray> simpler = new ArrayList<>();
        if (specials) {
            simpler.add(withSpecials(false));
        }
        if (layout != Layout.DENSE) {
            simpler.add(new GeneratedArray(shape, type, order, Layout.DENSE, identity(rank()), new int[rank()],
                    ones(rank()), valuesSeed, specials));
        }
        if (layout == Layout.STRIDED_PERMUTED) {
            simpler.add(new GeneratedArray(shape, type, order, Layout.PERMUTED, permutation, new int[rank()],
                    ones(rank()), valuesSeed, specials));
            simpler.add(new GeneratedArray(permuted(shape, permutation), type, order, Layout.STRIDED, identity(rank()),
                    start, step, valuesSeed, specials));
        }
        if (type != DataType.FLOAT) {
            simpler.add(withType(DataType.FLOAT));
        }
        if (order != 'c') {
            simpler.add(new GeneratedArray(shape, type, 'c', layout, permutation, start, step, valuesSeed, specials));
        }
        for (int axis = 0; axis < rank(); axis++) {
            simpler.add(withoutAxis(axis));
        }
        for (int axis = 0; axis < rank(); axis++) {
            if (shape[axis] != 1) {
                simpler.add(withSize(axis, 1));
            }
            for (long less = shape[axis] / 2; less > 0 && shape[axis] - less > 1; less /= 2) {
                simpler.add(withSize(axis, shape[axis] - less));
            }
        }
        for (int axis = 0; axis < rank(); axis++) {
            if (step[axis] != 1 || start[axis] != 0) {
                int[] plainStep = step.clone();
                int[] plainStart = start.clone();
                plainStep[axis] = 1;
                plainStart[axis] = 0;
                simpler.add(new GeneratedArray(shape, type, order, layout, permutation, plainStart, plainStep,
                        valuesSeed, specials));
            }
        }
        return simpler;
    }

    private GeneratedArray withSize(int axis, long size) {
        long[] newShape = shape.clone();
        newShape[axis] = size;
        return withShape(newShape);
    }

    /** Without input axis {@code axis}: the un-permuted axis it is, and the permutation renumbered. */
    private GeneratedArray withoutAxis(int axis) {
        int removed = permutation[axis];
        int rank = rank();
        long[] newShape = new long[rank - 1];
        int[] newPermutation = new int[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != axis) {
                newShape[j] = shape[i];
                newPermutation[j++] = permutation[i] > removed ? permutation[i] - 1 : permutation[i];
            }
        }
        int[] newStart = new int[rank - 1];
        int[] newStep = new int[rank - 1];
        for (int i = 0, j = 0; i < rank; i++) {
            if (i != removed) {
                newStart[j] = start[i];
                newStep[j++] = step[i];
            }
        }
        Layout newLayout = layout.permuted() && rank - 1 < 2 ? (layout.strided() ? Layout.STRIDED : Layout.DENSE)
                : layout;
        return new GeneratedArray(newShape, type, order, newLayout, newPermutation, newStart, newStep, valuesSeed,
                specials);
    }

    private static long[] permuted(long[] values, int[] permutation) {
        long[] unpermuted = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            unpermuted[permutation[i]] = values[i];
        }
        return unpermuted;
    }

    private static int[] identity(int rank) {
        return IntStream.range(0, rank).toArray();
    }

    private static int[] ones(int rank) {
        int[] ones = new int[rank];
        Arrays.fill(ones, 1);
        return ones;
    }

    @Override
    public String toString() {
        String where = switch (layout) {
            case DENSE -> "dense";
            case STRIDED -> "view (start " + Arrays.toString(start) + ", step " + Arrays.toString(step) + ")";
            case PERMUTED -> "permuted " + Arrays.toString(permutation);
            case STRIDED_PERMUTED -> "view (start " + Arrays.toString(start) + ", step " + Arrays.toString(step)
                    + ") permuted " + Arrays.toString(permutation);
        };
        return type + " " + Arrays.toString(shape) + " " + where + " of a '" + order + "' parent, values seed "
                + valuesSeed + (specials ? " with special values" : "");
    }
}
