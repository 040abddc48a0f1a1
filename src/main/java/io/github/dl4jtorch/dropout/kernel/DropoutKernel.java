package io.github.dl4jtorch.dropout.kernel;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The arithmetic shared by all six dropout variants, on ND4J arrays; it knows nothing of DL4J or of
 * PyTorch's rank rules (see {@code Functional} for those).
 *
 * <p>A mask has one lane per element of the <em>mask shape</em>: the input's shape with every axis that is
 * not a mask axis set to 1, so that one draw is shared along those axes (whole channels for the feature
 * variants). Lane {@code i} is the mask element at row-major index {@code i}, whatever the input's memory
 * layout. Masks are drawn by a counter-based {@link KeepSampler} from a 64-bit key, so backprop regenerates
 * the forward pass's mask from the key alone: nothing per element is kept between the two passes.
 *
 * <p>With {@code keep} the mask:
 * <ul>
 *   <li>standard: {@code y = x * (keep ? scale : 0)}, {@code scale = 1/(1-p)} computed in the input's type
 *       (float32: {@code 1f / (float) (1 - p)}), so a dropped NaN or infinity gives NaN and a dropped negative
 *       gives -0.0;</li>
 *   <li>alpha: {@code y = x * (keep ? a : 0) + (keep ? alpha*a*p : -alpha*a + alpha*a*p)}, with
 *       {@code a = 1/sqrt((alpha^2 p + 1)(1 - p))} in double and {@code alpha} = {@link #SELU_ALPHA_TIMES_SCALE};
 *       each product and sum is rounded to the input's type as PyTorch does;</li>
 *   <li>p = 1: {@code y = x * 0} without drawing anything;</li>
 *   <li>backward: {@code dx = dy * (keep ? scale : 0)} (alpha: {@code keep ? a : 0}); p = 1: {@code dy * 0}.</li>
 * </ul>
 * Half and bfloat16 factors are computed in float and rounded to the type, as PyTorch's CPU kernels do.
 *
 * <p>Arrays of any length ND4J can hold are processed: buffers are read and written a chunk at a time through
 * pointers, never through one NIO view (which ends at 2^31 - 1 bytes). Large arrays are shared by the calling
 * thread and at most {@code n - 1} helper threads, {@code n} being ND4J's thread count
 * ({@code Nd4j.getEnvironment().maxThreads()}, its OpenMP pool's size) when the kernel is first used; the helpers
 * are one pool of daemon threads shared by all calls, so concurrent callers add no threads but themselves. A call
 * returns or throws only when none of its chunks is running: a failure in one skips those not yet started, and
 * nothing is written after the call has ended.
 *
 * <p>Pointers are used only where ND4J's data lives in host memory (the CPU backend,
 * {@code Nd4j.getEnvironment().isCPU()}). On any other backend, or with the system property {@value #ND4J_OPS_PROPERTY}{@code =true}, the kernel reaches
 * array data through ND4J ops alone, so that device memory stays right: the mask is drawn on the host by the same
 * sampler, handed to ND4J a chunk at a time on the calling thread, and applied with ND4J's multiply (and add). The
 * masks are the same; on the CPU backend the results of both paths are equal bit for bit.
 */
public final class DropoutKernel {

    /** SELU's scale (1.0507009873554805) times SELU's alpha (1.6732632423543772). */
    public static final double SELU_ALPHA_TIMES_SCALE = 1.7580993408473766;

    /**
     * The system property that, set to {@code true}, makes the kernel reach array data through ND4J ops alone,
     * as it does by itself on non-CPU backends: {@code -Ddl4jtorch.dropout.nd4jOps=true}. Read once, when the
     * kernel is first used.
     */
    public static final String ND4J_OPS_PROPERTY = "dl4jtorch.dropout.nd4jOps";

    /** How the kernel reaches array data. */
    enum Access {
        /** Host pointers, a chunk at a time on several threads: where ND4J's data lives in host memory (CPU). */
        HOST,
        /** ND4J ops alone: the mask drawn on the host, handed to ND4J a chunk at a time, applied by ND4J ops. */
        ND4J_OPS
    }

    static final Access ACCESS = Nd4j.getEnvironment().isCPU() && !Boolean.getBoolean(ND4J_OPS_PROPERTY)
            ? Access.HOST : Access.ND4J_OPS;

    private static final KeepSampler SAMPLER = new SplitMixKeepSampler();

    /** The most lanes a shared (channel-wise) mask may have to be drawn whole and applied in one pass: 16M. */
    private static final int MAX_SHARED_MASK = 1 << 24;

    private static final ConcurrentHashMap<String, AtomicLong> THREADS_PER_NAME = new ConcurrentHashMap<>();

    /**
     * A salt per thread, from its name and how many threads of that name drew a key before it: the same for the
     * same program run after run (threads are usually named deterministically: "main", "pool-1-thread-2"), and
     * different for any two threads of one process. The count of names seen is kept for the process's lifetime.
     */
    private static final ThreadLocal<Long> THREAD_SALT = ThreadLocal.withInitial(() -> {
        String name = Thread.currentThread().getName();
        long salt = THREADS_PER_NAME.computeIfAbsent(name, n -> new AtomicLong()).getAndIncrement();
        for (int i = 0; i < name.length(); i++) {
            salt = SplitMixKeepSampler.mix64(salt + name.charAt(i) * 0x9E3779B97F4A7C15L);
        }
        return salt;
    });

    /**
     * The per-thread workspace the expanded mask lives in while it is applied. Fresh off-heap memory is
     * expensive to touch (a 64 MiB mask cost more than the rest of the forward pass together); a workspace
     * keeps the largest mask's memory for reuse, as PyTorch's caching allocator does.
     */
    private static final String SCRATCH_WORKSPACE = "DL4J_TORCH_DROPOUT_MASK";
    private static final WorkspaceConfiguration SCRATCH_CONFIGURATION = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.05)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private DropoutKernel() {
    }

    /**
     * A fresh mask key: the next value of ND4J's thread-local generator, mixed with the calling thread's own salt.
     * So {@code Nd4j.getRandom().setSeed(s)} before a call on one thread reproduces its mask, consecutive calls draw
     * independent masks, and threads whose generators were seeded alike (DL4J seeds every network replica's thread
     * with the configuration's seed: {@code ParallelWrapper} workers, clones on threads) still draw different masks.
     */
    public static long newKey() {
        return SplitMixKeepSampler.mix64(Nd4j.getRandom().nextLong() + THREAD_SALT.get());
    }


    /**
     * Forward pass: writes dropout of {@code x} into {@code out} and returns {@code out}.
     *
     * @param x        the input, any floating type (any type when {@code p == 1})
     * @param out      where the result goes: {@code x} itself (in place) or an array of {@code x}'s shape and type,
     *                 such as {@link #emptyLike(INDArray)}
     * @param p        probability of dropping a lane, in (0, 1]
     * @param alpha    alpha dropout (SELU networks) rather than standard inverted dropout
     * @param maskAxes the axes along which the mask varies, or {@code null} for every axis (element-wise)
     * @param key      the mask's key; pass the same key to {@link #backward}
     * @throws IllegalArgumentException if {@code x} is not of a floating type and {@code p < 1}, or {@code out}'s
     *                                  shape is not {@code x}'s
     */
    public static INDArray forward(INDArray x, INDArray out, double p, boolean alpha, int[] maskAxes, long key) {
        return forward(x, out, p, alpha, maskAxes, key, ACCESS);
    }

    /** {@link #forward(INDArray, INDArray, double, boolean, int[], long)} through {@code access}. */
    static INDArray forward(INDArray x, INDArray out, double p, boolean alpha, int[] maskAxes, long key,
                            Access access) {
        checkSameShape(x, out);
        if (p == 1) {
            return timesZero(x, out);
        }
        DataType type = x.dataType();
        if (!type.isFPType()) {
            throw new IllegalArgumentException("result type Float can't be cast to the desired output type " + type);
        }
        Factors factors = Factors.of(p, alpha, type);
        double[] shift = alpha ? new double[] {factors.droppedShift, factors.keptShift} : null;
        return apply(x, out, p, maskAxes, key, new double[] {0, factors.kept}, shift, access);
    }

    /**
     * Backward pass: writes the gradient with respect to the input into {@code gradIn} (of {@code gradOut}'s
     * shape) and returns it. {@code p}, {@code alpha}, {@code maskAxes} and {@code key} must be those of the
     * forward pass.
     */
    public static INDArray backward(INDArray gradOut, INDArray gradIn, double p, boolean alpha, int[] maskAxes,
                                    long key) {
        return backward(gradOut, gradIn, p, alpha, maskAxes, key, ACCESS);
    }

    /** {@link #backward(INDArray, INDArray, double, boolean, int[], long)} through {@code access}. */
    static INDArray backward(INDArray gradOut, INDArray gradIn, double p, boolean alpha, int[] maskAxes, long key,
                             Access access) {
        checkSameShape(gradOut, gradIn);
        if (p == 1) {
            return timesZero(gradOut, gradIn);
        }
        double kept = Factors.of(p, alpha, gradOut.dataType()).kept;
        return apply(gradOut, gradIn, p, maskAxes, key, new double[] {0, kept}, null, access);
    }

    /**
     * Allocates an uninitialised array of {@code shape} in {@code order} ('c' or 'f'), of the type and in the
     * memory (a workspace, say) the caller of {@link #emptyLike(INDArray, Allocator)} wants.
     */
    @FunctionalInterface
    public interface Allocator {
        INDArray allocate(long[] shape, char order);
    }

    /**
     * An uninitialised array of {@code like}'s shape and type laid out as PyTorch's {@code torch.empty_like}
     * lays out its result: {@link #emptyLike(INDArray, Allocator)}, allocated by ND4J.
     */
    public static INDArray emptyLike(INDArray like) {
        return emptyLike(like, (shape, order) -> Nd4j.createUninitialized(like.dataType(), shape, order));
    }

    /**
     * An uninitialised array of {@code like}'s shape with {@code like}'s stride order, as PyTorch's
     * {@code torch.empty_like} gives: a dense array ('c' or 'f' as {@code like} is; otherwise a 'c' array of the
     * permuted shape, permuted back) whose axes are laid out from slowest to fastest in the order of
     * {@code like}'s strides. So a dense input gets the same strides, and a view or permutation (channels-last
     * data, say) a dense array in its axis order: the output of dropout is laid out as its input.
     *
     * @param like      the array whose shape and stride order to follow
     * @param allocator allocates the dense array, of the shape and order it is given
     */
    public static INDArray emptyLike(INDArray like, Allocator allocator) {
        long[] shape = like.shape();
        int rank = shape.length;
        int[] slowestFirst = strideOrder(shape, like.stride());
        boolean rowMajor = true;
        boolean columnMajor = true;
        for (int m = 0; m < rank; m++) {
            rowMajor &= slowestFirst[m] == m;
            columnMajor &= slowestFirst[m] == rank - 1 - m;
        }
        if (rowMajor || columnMajor) {
            return allocator.allocate(shape.clone(), rowMajor ? 'c' : 'f');
        }
        long[] denseShape = new long[rank];
        int[] back = new int[rank];
        for (int m = 0; m < rank; m++) {
            denseShape[m] = shape[slowestFirst[m]];
            back[slowestFirst[m]] = m;
        }
        return allocator.allocate(denseShape, 'c').permute(back);
    }

    /**
     * The axes of an array of {@code shape} and {@code stride} from slowest to fastest, as PyTorch orders them
     * when it infers dense strides: a stable insertion sort by stride from row-major order, where a stride of 0
     * compares with nothing (the axis keeps its place) and of two equal strides the larger axis is the slower.
     */
    static int[] strideOrder(long[] shape, long[] stride) {
        int rank = shape.length;
        int[] fastestFirst = new int[rank];
        for (int m = 0; m < rank; m++) {
            fastestFirst[m] = rank - 1 - m;
        }
        for (int i = 1; i < rank; i++) {
            int moving = i;
            for (int other = i - 1; other >= 0; other--) {
                int a = fastestFirst[other];
                int b = fastestFirst[moving];
                int comparison = stride[a] == 0 || stride[b] == 0 ? 0
                        : stride[a] != stride[b] ? Long.compare(stride[a], stride[b])
                        : shape[a] > shape[b] ? 1 : 0;
                if (comparison > 0) {
                    fastestFirst[other] = b;
                    fastestFirst[moving] = a;
                    moving = other;
                } else if (comparison < 0) {
                    break;
                }
            }
        }
        int[] slowestFirst = new int[rank];
        for (int m = 0; m < rank; m++) {
            slowestFirst[m] = fastestFirst[rank - 1 - m];
        }
        return slowestFirst;
    }

    /** The input's shape with every axis outside {@code maskAxes} set to 1; {@code maskAxes == null}: the shape. */
    public static long[] maskShape(long[] shape, int[] maskAxes) {
        if (maskAxes == null) {
            return shape.clone();
        }
        long[] maskShape = new long[shape.length];
        java.util.Arrays.fill(maskShape, 1);
        for (int axis : maskAxes) {
            maskShape[axis] = shape[axis];
        }
        return maskShape;
    }

    /**
     * {@code dst = src * factor[keep] (+ shift[keep])}, tables indexed by the lane's keep decision (0 dropped,
     * 1 kept) and holding values of {@code src}'s type. One pass over {@code src}, through host memory, for float
     * and double arrays that both hold their elements densely in the same axis order (row-major, column-major,
     * channels-last or any other): element-wise masks are drawn chunk by chunk in the buffer's order, and masks
     * shared along some axes (channel-wise) are drawn once, whole, and read by each chunk. Otherwise (views with
     * gaps, half precision, access through ND4J ops, shared masks of more than {@value #MAX_SHARED_MASK} lanes) the
     * mask is expanded into factor (and shift) arrays of the mask's shape and ND4J multiplies, broadcasting along
     * the shared axes.
     */
    private static INDArray apply(INDArray src, INDArray dst, double p, int[] maskAxes, long key, double[] factor,
                                  double[] shift, Access access) {
        if (src.isEmpty()) {
            return dst;
        }
        DataType type = src.dataType();
        long[] shape = src.shape();
        long[] maskShape = maskShape(shape, maskAxes);
        boolean elementWise = java.util.Arrays.equals(maskShape, shape);
        int[] bufferAxes = bufferAxes(src);
        boolean onePass = access == Access.HOST && (type == DataType.FLOAT || type == DataType.DOUBLE)
                && dst.dataType() == type && bufferAxes != null && java.util.Arrays.equals(bufferAxes, bufferAxes(dst))
                && (elementWise || lanes(maskShape) <= MAX_SHARED_MASK);
        if (onePass) {
            LaneChunks.Bits bits = elementWise ? LaneChunks.elementWise(SAMPLER, key, 1 - p, shape, bufferAxes)
                    : LaneChunks.shared(SAMPLER, key, 1 - p, shape, maskShape, bufferAxes);
            applyInOnePass(src, dst, bits, factor, shift);
            // The chunks reach both buffers through pointers alone: neither array may be collected (and its
            // memory freed) before they are done.
            java.lang.ref.Reference.reachabilityFence(src);
            return dst;
        }
        try (MemoryWorkspace scratch = scratchWorkspace()) {
            LaneChunks.Bits bits = LaneChunks.rowMajor(SAMPLER, key, 1 - p);
            INDArray[] factorAndShift = shift == null ? expandMask(maskShape, type, bits, access, factor)
                    : expandMask(maskShape, type, bits, access, factor, shift);
            src.mul(factorAndShift[0], dst);
            if (shift != null) {
                dst.addi(factorAndShift[1]);
            }
            java.lang.ref.Reference.reachabilityFence(factorAndShift);
        }
        java.lang.ref.Reference.reachabilityFence(src);
        return dst;
    }

    private static long lanes(long[] shape) {
        long lanes = 1;
        for (long size : shape) {
            lanes *= size;
        }
        return lanes;
    }

    /**
     * The axes of size above 1 in the order {@code a}'s buffer holds them, fastest first, when its elements fill
     * a run of the buffer without gaps (from {@code a}'s offset, in any axis order); else {@code null}.
     */
    private static int[] bufferAxes(INDArray a) {
        long[] shape = a.shape();
        long[] stride = a.stride();
        int[] axes = new int[shape.length];
        int rank = 0;
        for (int axis = 0; axis < shape.length; axis++) { // insertion sort by stride: ranks are small
            if (shape[axis] > 1) {
                int at = rank++;
                for (; at > 0 && stride[axes[at - 1]] > stride[axis]; at--) {
                    axes[at] = axes[at - 1];
                }
                axes[at] = axis;
            }
        }
        axes = java.util.Arrays.copyOf(axes, rank);
        long denseStride = 1;
        for (int axis : axes) {
            if (stride[axis] != denseStride) {
                return null;
            }
            denseStride *= shape[axis];
        }
        return axes;
    }

    /**
     * One pass: a chunk at a time, values are copied to the heap, transformed and copied back, through views of
     * the chunk alone (an NIO view of a whole buffer ends at 2^31 - 1 bytes).
     */
    private static void applyInOnePass(INDArray src, INDArray dst, LaneChunks.Bits bits, double[] factor,
                                       double[] shift) {
        // keep[i] is 1 or 0, so keep * factor and keep * shift + (1 - keep) * droppedShift are exactly the values of
        // the tables (dropped lanes' factor is 0): branch-free loops the JIT vectorises.
        long elements = src.length();
        if (src.dataType() == DataType.DOUBLE) {
            DoublePointer in = new DoublePointer(src.data().addressPointer());
            DoublePointer out = new DoublePointer(dst.data().addressPointer());
            double kept = factor[1];
            double keptShift = shift == null ? 0 : shift[1];
            double droppedShift = shift == null ? 0 : shift[0];
            LaneChunks.forEach(elements, bits, (first, n, s) -> {
                double[] v = s.doubles();
                float[] keep = s.keep;
                new DoublePointer(in).position(first).get(v, 0, n);
                if (shift == null) {
                    for (int i = 0; i < n; i++) {
                        v[i] *= keep[i] * kept;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        v[i] = v[i] * (keep[i] * kept) + (keep[i] * keptShift + (1 - keep[i]) * droppedShift);
                    }
                }
                new DoublePointer(out).position(first).put(v, 0, n);
            });
        } else {
            FloatPointer in = new FloatPointer(src.data().addressPointer());
            FloatPointer out = new FloatPointer(dst.data().addressPointer());
            float kept = (float) factor[1];
            float keptShift = shift == null ? 0 : (float) shift[1];
            float droppedShift = shift == null ? 0 : (float) shift[0];
            LaneChunks.forEach(elements, bits, (first, n, s) -> {
                float[] v = s.floats();
                float[] keep = s.keep;
                new FloatPointer(in).position(first).get(v, 0, n);
                if (shift == null) {
                    for (int i = 0; i < n; i++) {
                        v[i] *= keep[i] * kept;
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        v[i] = v[i] * (keep[i] * kept) + (keep[i] * keptShift + (1 - keep[i]) * droppedShift);
                    }
                }
                new FloatPointer(out).position(first).put(v, 0, n);
            });
        }
    }

    /**
     * Row-major arrays of {@code shape}, one per table, holding {@code table[keep]} for each lane of the mask
     * {@code bits} draws (drawn once for all tables): of {@code type}, in the current workspace. Expanded a chunk
     * at a time on the heap, then copied in bulk: to host memory on several threads (element-wise writes to a
     * direct buffer are several times slower on JDK 17), or through ND4J ops on the calling thread.
     */
    private static INDArray[] expandMask(long[] shape, DataType type, LaneChunks.Bits bits, Access access,
                                         double[]... tables) {
        boolean isDouble = type == DataType.DOUBLE;
        INDArray[] arrays = new INDArray[tables.length];
        float[][] floatTables = new float[tables.length][];
        for (int t = 0; t < tables.length; t++) {
            arrays[t] = Nd4j.createUninitialized(isDouble ? DataType.DOUBLE : DataType.FLOAT, shape, 'c');
            floatTables[t] = toFloats(tables[t]);
        }
        ChunkWriter[] writers = java.util.Arrays.stream(arrays)
                .map(a -> access == Access.HOST ? hostWriter(a) : nd4jWriter(a)).toArray(ChunkWriter[]::new);
        LaneChunks.Body body = (first, n, s) -> {
            for (int t = 0; t < tables.length; t++) {
                if (isDouble) {
                    double[] v = s.doubles();
                    double[] table = tables[t];
                    for (int i = 0; i < n; i++) {
                        v[i] = table[s.keep(i)];
                    }
                    writers[t].write(first, n, v, null);
                } else {
                    float[] v = s.floats();
                    float[] table = floatTables[t];
                    for (int i = 0; i < n; i++) {
                        v[i] = table[s.keep(i)];
                    }
                    writers[t].write(first, n, null, v);
                }
            }
        };
        long lanes = arrays[0].length();
        if (access == Access.HOST) {
            LaneChunks.forEach(lanes, bits, body);
        } else {
            LaneChunks.forEach(lanes, bits, body, Runnable::run, 0);
        }
        if (!isDouble && type != DataType.FLOAT) {
            for (int t = 0; t < arrays.length; t++) {
                arrays[t] = arrays[t].castTo(type); // exact: the values are already of the type
            }
        }
        return arrays;
    }

    /** Writes the first {@code n} values of {@code doubles} or {@code floats} to elements {@code first...} of an array. */
    private interface ChunkWriter {
        void write(long first, int n, double[] doubles, float[] floats);
    }

    /** Writes into {@code a}'s buffer (row-major, dense) through a pointer per chunk. */
    private static ChunkWriter hostWriter(INDArray a) {
        Pointer base = a.data().addressPointer();
        return (first, n, doubles, floats) -> {
            if (doubles != null) {
                new DoublePointer(base).position(first).put(doubles, 0, n);
            } else {
                new FloatPointer(base).position(first).put(floats, 0, n);
            }
        };
    }

    /** Writes into {@code a} (row-major) with ND4J ops: the chunk becomes an array, assigned to its range. */
    private static ChunkWriter nd4jWriter(INDArray a) {
        INDArray flat = a.reshape(a.length());
        return (first, n, doubles, floats) -> {
            INDArray chunk;
            try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                chunk = doubles != null ? Nd4j.createFromArray(java.util.Arrays.copyOf(doubles, n))
                        : Nd4j.createFromArray(java.util.Arrays.copyOf(floats, n));
            }
            flat.get(NDArrayIndex.interval(first, first + n)).assign(chunk);
            chunk.close();
        };
    }

    private static float[] toFloats(double[] values) {
        return new float[] {(float) values[0], (float) values[1]};
    }

    private static MemoryWorkspace scratchWorkspace() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(SCRATCH_CONFIGURATION, SCRATCH_WORKSPACE);
    }

    private static void checkSameShape(INDArray src, INDArray dst) {
        if (!java.util.Arrays.equals(dst.shape(), src.shape())) {
            throw new IllegalArgumentException("the result's shape " + java.util.Arrays.toString(dst.shape())
                    + " is not the source's " + java.util.Arrays.toString(src.shape()));
        }
    }

    /** {@code x * 0} into {@code out}: zeros that keep the sign of negatives and turn NaN and infinities into NaN. */
    private static INDArray timesZero(INDArray x, INDArray out) {
        if (x.dataType() == DataType.BOOL) {
            return out.assign(false); // x AND false: what multiplying booleans means
        }
        return x.mul(0, out);
    }

    /**
     * The per-lane constants of one (p, variant, type), already rounded to the type: the kept lanes' factor
     * (dropped lanes' factor is 0) and, for alpha dropout, the shifts added to kept and dropped lanes. Public for
     * code that applies a mask of its own with the kernel's arithmetic (the SameDiff form of dropout).
     *
     * @param kept         the factor of kept lanes: {@code 1/(1-p)}, alpha {@code a}
     * @param keptShift    alpha: added to kept lanes, {@code alpha*a*p}; otherwise 0
     * @param droppedShift alpha: added to dropped lanes, {@code -alpha*a + alpha*a*p}; otherwise 0
     */
    public record Factors(double kept, double keptShift, double droppedShift) {

        /**
         * The constants of dropout with probability {@code p} in [0, 1) on arrays of floating {@code type}, rounded
         * as PyTorch rounds them.
         */
        public static Factors of(double p, boolean alpha, DataType type) {
            double a = 1.0 / Math.sqrt((SELU_ALPHA_TIMES_SCALE * SELU_ALPHA_TIMES_SCALE * p + 1) * (1 - p));
            double alphaA = SELU_ALPHA_TIMES_SCALE * a;
            double alphaAP = alphaA * p;
            if (type == DataType.DOUBLE) {
                return alpha ? new Factors(a, alphaAP, -alphaA + alphaAP) : new Factors(1.0 / (1 - p), 0, 0);
            }
            // PyTorch: noise.div_(1 - p) for standard dropout; for alpha, b = (noise - 1) * (alpha a) + alpha a p
            // and noise *= a. Scalars become float, every step is rounded to the tensor's type.
            if (!alpha) {
                return new Factors(round(1f / (float) (1 - p), type), 0, 0);
            }
            float dropped = round(round(-(float) alphaA, type) + (float) alphaAP, type);
            return new Factors(round((float) a, type), round((float) alphaAP, type), dropped);
        }

        /** {@code value} rounded to {@code type} (float, half or bfloat16), as a float. */
        private static float round(float value, DataType type) {
            if (type == DataType.FLOAT) {
                return value;
            }
            return Nd4j.scalar(value).castTo(type).castTo(DataType.FLOAT).getFloat(0);
        }
    }
}
