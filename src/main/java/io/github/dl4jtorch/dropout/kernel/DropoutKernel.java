package io.github.dl4jtorch.dropout.kernel;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

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
 */
public final class DropoutKernel {

    /** SELU's scale (1.0507009873554805) times SELU's alpha (1.6732632423543772). */
    public static final double SELU_ALPHA_TIMES_SCALE = 1.7580993408473766;

    private static final KeepSampler SAMPLER = new SplitMixKeepSampler();

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
     * @param out      where the result goes: {@code x} itself (in place) or an array of {@code x}'s shape and type
     * @param p        probability of dropping a lane, in (0, 1]
     * @param alpha    alpha dropout (SELU networks) rather than standard inverted dropout
     * @param maskAxes the axes along which the mask varies, or {@code null} for every axis (element-wise)
     * @param key      the mask's key; pass the same key to {@link #backward}
     * @throws IllegalArgumentException if {@code x} is not of a floating type and {@code p < 1}
     */
    public static INDArray forward(INDArray x, INDArray out, double p, boolean alpha, int[] maskAxes, long key) {
        if (p == 1) {
            return timesZero(x, out);
        }
        DataType type = x.dataType();
        if (!type.isFPType()) {
            throw new IllegalArgumentException("result type Float can't be cast to the desired output type " + type);
        }
        Factors factors = Factors.of(p, alpha, type);
        double[] shift = alpha ? new double[] {factors.droppedShift, factors.keptShift} : null;
        return apply(x, out, p, maskAxes, key, new double[] {0, factors.kept}, shift);
    }

    /**
     * Backward pass: writes the gradient with respect to the input into {@code gradIn} and returns it.
     * {@code p}, {@code alpha}, {@code maskAxes} and {@code key} must be those of the forward pass.
     */
    public static INDArray backward(INDArray gradOut, INDArray gradIn, double p, boolean alpha, int[] maskAxes,
                                    long key) {
        if (p == 1) {
            return timesZero(gradOut, gradIn);
        }
        double kept = Factors.of(p, alpha, gradOut.dataType()).kept;
        return apply(gradOut, gradIn, p, maskAxes, key, new double[] {0, kept}, null);
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
     * {@code dst = src * factor[keep] (+ shift[keep])}, tables indexed by the lane's keep bit (0 dropped,
     * 1 kept) and holding values of {@code src}'s type. One pass over {@code src} where that is possible: an
     * element-wise mask on float or double arrays that both fill their buffers in the same order, row-major
     * (element {@code i} is lane {@code i}) or column-major (lanes computed from the index). Otherwise the mask
     * is expanded into factor (and shift) arrays of the mask's shape and ND4J multiplies, broadcasting along
     * the shared axes.
     */
    private static INDArray apply(INDArray src, INDArray dst, double p, int[] maskAxes, long key, double[] factor,
                                  double[] shift) {
        DataType type = src.dataType();
        long[] maskShape = maskShape(src.shape(), maskAxes);
        long lanes = checkedLanes(maskShape);
        char layout = denseLayout(src);
        boolean onePass = java.util.Arrays.equals(maskShape, src.shape())
                && (type == DataType.FLOAT || type == DataType.DOUBLE)
                && layout != 0 && denseLayout(dst) == layout
                && dst.dataType() == type && java.util.Arrays.equals(dst.shape(), src.shape());
        if (onePass) {
            LaneChunks.Bits bits = layout == 'c' ? LaneChunks.rowMajor(SAMPLER, key, 1 - p)
                    : LaneChunks.columnMajor(SAMPLER, key, 1 - p, src.shape());
            applyInOnePass(src, dst, lanes, bits, factor, shift);
            return dst;
        }
        try (MemoryWorkspace scratch = scratchWorkspace()) {
            LaneChunks.Bits bits = LaneChunks.rowMajor(SAMPLER, key, 1 - p);
            if (shift == null) {
                src.mul(expandMask(maskShape, type, lanes, bits, factor)[0], dst);
            } else {
                INDArray[] factorAndShift = expandMask(maskShape, type, lanes, bits, factor, shift);
                src.mul(factorAndShift[0], dst).addi(factorAndShift[1]);
            }
        }
        return dst;
    }

    /**
     * The order in which {@code a}'s elements fill its whole buffer from its start: 'c' (row-major; also for
     * rank 0 and 1), 'f' (column-major), or 0 for views and other strides.
     */
    private static char denseLayout(INDArray a) {
        boolean dense = !a.isView() && a.data().offset() == 0 && a.data().length() == a.length()
                && Shape.hasDefaultStridesForShape(a);
        return !dense ? 0 : a.rank() <= 1 ? 'c' : a.ordering();
    }

    private static void applyInOnePass(INDArray src, INDArray dst, long elements, LaneChunks.Bits bits,
                                       double[] factor, double[] shift) {
        if (src.dataType() == DataType.DOUBLE) {
            DoubleBuffer in = src.data().asNioDouble();
            DoubleBuffer out = dst.data().asNioDouble();
            LaneChunks.forEach(elements, bits, (first, n, s) -> {
                double[] v = s.doubles();
                in.get((int) first, v, 0, n);
                for (int i = 0; i < n; i++) {
                    int keep = s.keep(i);
                    v[i] = shift == null ? v[i] * factor[keep] : v[i] * factor[keep] + shift[keep];
                }
                out.put((int) first, v, 0, n);
            });
        } else {
            FloatBuffer in = src.data().asNioFloat();
            FloatBuffer out = dst.data().asNioFloat();
            float[] factorF = toFloats(factor);
            float[] shiftF = shift == null ? null : toFloats(shift);
            LaneChunks.forEach(elements, bits, (first, n, s) -> {
                float[] v = s.floats();
                in.get((int) first, v, 0, n);
                for (int i = 0; i < n; i++) {
                    int keep = s.keep(i);
                    v[i] = shiftF == null ? v[i] * factorF[keep] : v[i] * factorF[keep] + shiftF[keep];
                }
                out.put((int) first, v, 0, n);
            });
        }
    }

    /**
     * Row-major arrays of {@code shape}, one per table, holding {@code table[keep]} for each lane of the mask
     * {@code bits} draws (drawn once for all tables): of {@code type}, in the current workspace. Expanded a chunk
     * at a time on the heap and copied in bulk off-heap (element-wise writes to a direct buffer are several times
     * slower on JDK 17).
     */
    private static INDArray[] expandMask(long[] shape, DataType type, long lanes, LaneChunks.Bits bits,
                                         double[]... tables) {
        boolean isDouble = type == DataType.DOUBLE;
        INDArray[] arrays = new INDArray[tables.length];
        DoubleBuffer[] doubleViews = new DoubleBuffer[tables.length];
        FloatBuffer[] floatViews = new FloatBuffer[tables.length];
        float[][] floatTables = new float[tables.length][];
        for (int t = 0; t < tables.length; t++) {
            arrays[t] = Nd4j.createUninitialized(isDouble ? DataType.DOUBLE : DataType.FLOAT, shape, 'c');
            if (isDouble) {
                doubleViews[t] = arrays[t].data().asNioDouble();
            } else {
                floatViews[t] = arrays[t].data().asNioFloat();
                floatTables[t] = toFloats(tables[t]);
            }
        }
        LaneChunks.forEach(lanes, bits, (first, n, s) -> {
            for (int t = 0; t < tables.length; t++) {
                if (isDouble) {
                    double[] v = s.doubles();
                    double[] table = tables[t];
                    for (int i = 0; i < n; i++) {
                        v[i] = table[s.keep(i)];
                    }
                    doubleViews[t].put((int) first, v, 0, n);
                } else {
                    float[] v = s.floats();
                    float[] table = floatTables[t];
                    for (int i = 0; i < n; i++) {
                        v[i] = table[s.keep(i)];
                    }
                    floatViews[t].put((int) first, v, 0, n);
                }
            }
        });
        if (!isDouble && type != DataType.FLOAT) {
            for (int t = 0; t < arrays.length; t++) {
                arrays[t] = arrays[t].castTo(type); // exact: the values are already of the type
            }
        }
        return arrays;
    }

    private static float[] toFloats(double[] values) {
        return new float[] {(float) values[0], (float) values[1]};
    }

    private static MemoryWorkspace scratchWorkspace() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(SCRATCH_CONFIGURATION, SCRATCH_WORKSPACE);
    }

    /** {@code x * 0} into {@code out}: zeros that keep the sign of negatives and turn NaN and infinities into NaN. */
    private static INDArray timesZero(INDArray x, INDArray out) {
        if (x.dataType() == DataType.BOOL) {
            return out.assign(false); // x AND false: what multiplying booleans means
        }
        return x.mul(0, out);
    }

    /** Lanes of a mask of {@code shape}; masks index their lanes with ints for now. */
    private static long checkedLanes(long[] shape) {
        long lanes = 1;
        for (long size : shape) {
            lanes = Math.multiplyExact(lanes, size);
        }
        if (lanes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("masks of more than 2^31 lanes are not supported yet: " + lanes);
        }
        return lanes;
    }

    /**
     * The per-lane constants of one (p, variant, type), already rounded to the type: the kept lanes' factor
     * (dropped lanes' factor is 0) and, for alpha dropout, the shifts added to kept and dropped lanes.
     */
    record Factors(double kept, double keptShift, double droppedShift) {

        static Factors of(double p, boolean alpha, DataType type) {
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
