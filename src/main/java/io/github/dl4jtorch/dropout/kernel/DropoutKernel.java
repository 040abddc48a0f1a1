package io.github.dl4jtorch.dropout.kernel;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
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

    /** Mask words drawn and expanded at a time: 16384 lanes, 64 KiB of float values (fits in L2). */
    private static final int CHUNK_WORDS = 256;

    private DropoutKernel() {
    }

    /**
     * A fresh mask key from ND4J's thread-local generator, so that {@code Nd4j.getRandom().setSeed(s)} before
     * a call reproduces its mask, and consecutive calls draw independent masks.
     */
    public static long newKey() {
        return Nd4j.getRandom().nextLong();
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
        long[] maskShape = maskShape(x.shape(), maskAxes);
        Factors factors = Factors.of(p, alpha, type);
        try (MemoryWorkspace scratch = scratchWorkspace()) {
            double[] factor = {0, factors.kept};
            if (!alpha) {
                x.mul(expandMask(key, p, maskShape, type, factor)[0], out);
            } else {
                INDArray[] factorAndShift = expandMask(key, p, maskShape, type, factor,
                        new double[] {factors.droppedShift, factors.keptShift});
                x.mul(factorAndShift[0], out).addi(factorAndShift[1]);
            }
        }
        return out;
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
        DataType type = gradOut.dataType();
        long[] maskShape = maskShape(gradOut.shape(), maskAxes);
        try (MemoryWorkspace scratch = scratchWorkspace()) {
            double[] factor = {0, Factors.of(p, alpha, type).kept};
            return gradOut.mul(expandMask(key, p, maskShape, type, factor)[0], gradIn);
        }
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

    private static long lanes(long[] shape) {
        long lanes = 1;
        for (long size : shape) {
            lanes = Math.multiplyExact(lanes, size);
        }
        return lanes;
    }

    /**
     * Row-major arrays of {@code shape}, one per table: array {@code t} holds {@code tables[t][1]} where the mask
     * under {@code key} keeps a lane and {@code tables[t][0]} where it drops it. The mask is drawn once, a chunk
     * at a time, expanded into small heap arrays and copied in bulk off-heap (element-wise writes to a direct
     * buffer are several times slower on JDK 17).
     */
    private static INDArray[] expandMask(long key, double p, long[] shape, DataType type, double[]... tables) {
        long lanes = lanes(shape);
        if (lanes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("masks of more than 2^31 lanes are not supported yet: " + lanes);
        }
        boolean isDouble = type == DataType.DOUBLE;
        INDArray[] arrays = new INDArray[tables.length];
        // One view of each array's off-heap memory for the whole fill: making a view is slow (JavaCPP).
        DoubleBuffer[] doubleViews = new DoubleBuffer[tables.length];
        FloatBuffer[] floatViews = new FloatBuffer[tables.length];
        float[][] floatTables = new float[tables.length][];
        for (int t = 0; t < tables.length; t++) {
            arrays[t] = Nd4j.createUninitialized(isDouble ? DataType.DOUBLE : DataType.FLOAT, shape, 'c');
            if (isDouble) {
                doubleViews[t] = arrays[t].data().asNioDouble();
            } else {
                floatViews[t] = arrays[t].data().asNioFloat();
                floatTables[t] = new float[] {(float) tables[t][0], (float) tables[t][1]};
            }
        }
        long[] words = new long[CHUNK_WORDS];
        double[] doubleChunk = isDouble ? new double[CHUNK_WORDS * 64] : null;
        float[] floatChunk = isDouble ? null : new float[CHUNK_WORDS * 64];
        for (long lane = 0; lane < lanes; lane += CHUNK_WORDS * 64) {
            int chunkLanes = (int) Math.min(CHUNK_WORDS * 64, lanes - lane);
            SAMPLER.sample(key, 1 - p, lane >>> 6, words, (chunkLanes + 63) >>> 6);
            for (int t = 0; t < tables.length; t++) {
                if (isDouble) {
                    expand(words, chunkLanes, tables[t], doubleChunk);
                    doubleViews[t].put((int) lane, doubleChunk, 0, chunkLanes);
                } else {
                    expand(words, chunkLanes, floatTables[t], floatChunk);
                    floatViews[t].put((int) lane, floatChunk, 0, chunkLanes);
                }
            }
        }
        if (!isDouble && type != DataType.FLOAT) {
            for (int t = 0; t < arrays.length; t++) {
                arrays[t] = arrays[t].castTo(type); // exact: the values are already of the type
            }
        }
        return arrays;
    }

    /** {@code values[i] = table[1]} where bit {@code i} of {@code words} is set, else {@code table[0]}. */
    private static void expand(long[] words, int lanes, float[] table, float[] values) {
        for (int i = 0; i < lanes; i++) {
            values[i] = table[(int) (words[i >>> 6] >>> (i & 63)) & 1];
        }
    }

    /** {@link #expand(long[], int, float[], float[])} for doubles. */
    private static void expand(long[] words, int lanes, double[] table, double[] values) {
        for (int i = 0; i < lanes; i++) {
            values[i] = table[(int) (words[i >>> 6] >>> (i & 63)) & 1];
        }
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
