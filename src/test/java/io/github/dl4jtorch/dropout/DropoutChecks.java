package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What the parity tests share: the six functional forms, reading arrays in logical (row-major) order, and
 * recovering a mask from an output so that its shape can be checked against the spec.
 */
final class DropoutChecks {

    /** PyTorch's range message (S01). */
    static String rangeMessage(String p) {
        return "dropout probability has to be between 0 and 1, but got " + p;
    }

    /** "Feature dropout requires at least 2 dimensions in the input" (S43). */
    static final String FEATURE_RANK_MESSAGE = "Feature dropout requires at least 2 dimensions in the input";

    private DropoutChecks() {
    }

    /** A functional form, {@code (input, p, training, inplace)}. */
    @FunctionalInterface
    interface DropoutFunction {
        INDArray apply(INDArray input, double p, boolean training, boolean inplace);
    }

    /**
     * One of the six functional forms, with a shape it takes without a warning and the mask shape the spec
     * gives for it.
     */
    record Variant(String name, DropoutFunction function, long[] shape, long[] maskShape, boolean alpha) {
        INDArray apply(INDArray input, double p, boolean training, boolean inplace) {
            return function.apply(input, p, training, inplace);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The six forms; shapes have 4 examples and 6 channels so that masks have 24 to 120 lanes. */
    static final List<Variant> VARIANTS = List.of(
            new Variant("dropout", Functional::dropout, new long[] {4, 6, 5}, new long[] {4, 6, 5}, false),
            new Variant("dropout1d", Functional::dropout1d, new long[] {4, 6, 5}, new long[] {4, 6, 1}, false),
            new Variant("dropout2d", Functional::dropout2d, new long[] {4, 6, 3, 2}, new long[] {4, 6, 1, 1}, false),
            new Variant("dropout3d", Functional::dropout3d, new long[] {4, 6, 2, 2, 2}, new long[] {4, 6, 1, 1, 1},
                    false),
            new Variant("alphaDropout", Functional::alphaDropout, new long[] {4, 6, 5}, new long[] {4, 6, 5}, true),
            new Variant("featureAlphaDropout", Functional::featureAlphaDropout, new long[] {4, 6, 3, 2},
                    new long[] {4, 6, 1, 1}, true));

    /** The elements of {@code x} in logical row-major order, whatever its ordering or offset. */
    static float[] rowMajor(INDArray x) {
        return x.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    /** As {@link #rowMajor(INDArray)}, in double. */
    static double[] rowMajorDouble(INDArray x) {
        return x.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    }

    /** 1, 2, 3, ... (all positive, all distinct) of {@code shape} in float32, row-major. */
    static INDArray positive(long... shape) {
        return positive(DataType.FLOAT, 'c', shape);
    }

    static INDArray positive(DataType type, char order, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        INDArray x = Nd4j.arange(1, n + 1).castTo(DataType.DOUBLE).reshape('c', shape);
        return x.castTo(type).dup(order);
    }

    /** A copy, to compare an input with after a call that must not modify it. */
    static INDArray snapshot(INDArray x) {
        return x.dup();
    }

    /** Bit-for-bit equality of two float arrays in logical order (NaN payloads and signed zeros count). */
    static void assertSameBits(INDArray expected, INDArray actual, String message) {
        assertArrayEquals(expected.shape(), actual.shape(), message + ": shape");
        assertEquals(expected.dataType(), actual.dataType(), message + ": type");
        double[] e = rowMajorDouble(expected);
        double[] a = rowMajorDouble(actual);
        for (int i = 0; i < e.length; i++) {
            if (Double.doubleToRawLongBits(e[i]) != Double.doubleToRawLongBits(a[i])
                    && !(Double.isNaN(e[i]) && Double.isNaN(a[i]))) {
                fail(message + ": element " + i + " expected " + e[i] + " but was " + a[i]);
            }
        }
    }

    /**
     * Float32 bits, element by element: equal raw bits (so -0.0 differs from 0.0), except that any NaN matches
     * any NaN (the spec says "NaN", not which payload).
     */
    static void assertFloatBits(float[] expected, float[] actual, String message) {
        assertEquals(expected.length, actual.length, message + ": length");
        for (int i = 0; i < expected.length; i++) {
            boolean same = Float.isNaN(expected[i]) ? Float.isNaN(actual[i])
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
            if (!same) {
                fail(message + ": element " + i + " expected " + expected[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ") but was " + actual[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
            }
        }
    }

    /** Whether two floats are the same value bit for bit, any NaN matching any NaN. */
    static boolean sameBits(float expected, float actual) {
        return Float.isNaN(expected) ? Float.isNaN(actual)
                : Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(actual);
    }

    /** An array of {@code shape} (float32, row-major) cycling through {@code values}. */
    static INDArray cycling(float[] values, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] data = new float[(int) n];
        for (int i = 0; i < data.length; i++) {
            data[i] = values[i % values.length];
        }
        return Nd4j.create(data, shape, 'c');
    }

    /**
     * The mask behind {@code y}, the output of standard dropout on an input of positive values: lane {@code i}
     * of the row-major {@code maskShape} is kept when the outputs it covers are non-zero. Fails unless every
     * group of elements sharing a mask lane is all kept or all dropped, i.e. unless the mask has (at most) that
     * shape.
     */
    static boolean[] maskOf(INDArray y, long[] maskShape) {
        return maskOf(rowMajor(y), y.shape(), maskShape, v -> v != 0);
    }

    /** As {@link #maskOf(INDArray, long[])}, with {@code kept} telling a kept output from a dropped one. */
    static boolean[] maskOf(float[] values, long[] shape, long[] maskShape, FloatPredicate kept) {
        assertEquals(shape.length, maskShape.length, "mask rank");
        int rank = shape.length;
        long lanes = 1;
        for (long m : maskShape) {
            lanes *= m;
        }
        boolean[] mask = new boolean[(int) lanes];
        boolean[] seen = new boolean[(int) lanes];
        long[] coordinate = new long[rank];
        for (int i = 0; i < values.length; i++) {
            long rest = i;
            for (int axis = rank - 1; axis >= 0; axis--) {
                coordinate[axis] = rest % shape[axis];
                rest /= shape[axis];
            }
            long lane = 0;
            for (int axis = 0; axis < rank; axis++) {
                lane = lane * maskShape[axis] + (maskShape[axis] == 1 ? 0 : coordinate[axis]);
            }
            boolean k = kept.test(values[i]);
            if (!seen[(int) lane]) {
                seen[(int) lane] = true;
                mask[(int) lane] = k;
            } else if (mask[(int) lane] != k) {
                fail("element " + Arrays.toString(coordinate) + " is " + (k ? "kept" : "dropped")
                        + " unlike the rest of its mask lane " + lane + " (mask shape " + Arrays.toString(maskShape)
                        + ")");
            }
        }
        return mask;
    }

    /** A predicate on a float. */
    @FunctionalInterface
    interface FloatPredicate {
        boolean test(float value);
    }

    /**
     * Fails if {@code mask} (row-major, of {@code maskShape}) is constant along {@code axis} on every line
     * along that axis. With keep probability q on each lane independently, a line of length d is constant
     * with probability q^d + (1-q)^d (2^(1-d) at p = 0.5), and this fails only if every line is: the callers
     * state the resulting false-failure rate.
     */
    static void assertVariesAlong(boolean[] mask, long[] maskShape, int axis) {
        long inner = 1;
        for (int a = axis + 1; a < maskShape.length; a++) {
            inner *= maskShape[a];
        }
        long d = maskShape[axis];
        for (int lane = 0; lane < mask.length; lane++) {
            long along = lane / inner % d;
            if (along > 0 && mask[lane] != mask[(int) (lane - inner)]) {
                return;
            }
        }
        fail("mask of shape " + Arrays.toString(maskShape) + " never varies along axis " + axis);
    }

    /** Counts the true lanes. */
    static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** Asserts {@code call} throws an {@link IllegalArgumentException} with exactly {@code message}. */
    static void assertFailsWith(String message, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(message, e.getMessage());
    }

    /** {@code value} rounded to nearest-even with {@code significandBits} bits (implicit one included), in double. */
    static double roundToSignificand(double value, int significandBits, int minExponent) {
        if (value == 0 || Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        int exponent = Math.max(Math.getExponent(value), minExponent);
        double ulp = Math.scalb(1.0, exponent - (significandBits - 1));
        return Math.rint(value / ulp) * ulp;
    }

    /** IEEE binary16 rounding (normal and subnormal range; no overflow handling: the tests stay far below). */
    static float toHalf(double value) {
        return (float) roundToSignificand(value, 11, -14);
    }

    /** bfloat16 rounding: float32's exponent range with 8 significant bits. */
    static float toBfloat16(double value) {
        return (float) roundToSignificand(value, 8, -126);
    }

    /** Asserts the p=0.5 mask is neither all kept nor all dropped (false failure 2^(1-lanes)). */
    static void assertMixed(boolean[] mask) {
        int kept = count(mask);
        assertTrue(kept > 0 && kept < mask.length, "mask of " + mask.length + " lanes has " + kept + " kept");
    }
}
