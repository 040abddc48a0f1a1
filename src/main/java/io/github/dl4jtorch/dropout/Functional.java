package io.github.dl4jtorch.dropout;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PyTorch's functional dropout ({@code torch.nn.functional.dropout}, {@code dropout1d}, ...) on ND4J arrays,
 * with PyTorch's rules: {@code p} is the probability of <em>zeroing</em>, arrays are channels-first, and ranks,
 * warnings and errors follow PyTorch.
 *
 * <p>Every function takes {@code (input, p, training, inplace)}:
 * <ul>
 *   <li>{@code p}: probability of an element (or channel) to be zeroed, in [0, 1]; otherwise
 *       {@link IllegalArgumentException} "dropout probability has to be between 0 and 1, but got {p}" (NaN too).</li>
 *   <li>{@code training}: apply dropout; when false the function returns {@code input} itself.</li>
 *   <li>{@code inplace}: write the result into {@code input} and return it; when false {@code input} is never
 *       modified and a new array of its shape and type is returned, laid out as {@code torch.empty_like} lays
 *       out (see {@code DropoutKernel.emptyLike}): the input's strides if it is dense, else a dense array in
 *       its axis order.</li>
 * </ul>
 * When {@code p == 0}, {@code !training} or {@code input} is empty, {@code input} itself is returned. When
 * {@code p == 1} the result is {@code input * 0}. Otherwise kept elements are scaled by {@code 1/(1-p)} computed
 * in the input's type (float32: {@code 1f / (float) (1 - p)}, bit-exact with PyTorch) and dropped ones are
 * {@code input * 0}. Non-floating input fails unless {@code p} is 0 or 1 or {@code training} is false.
 *
 * <p>Masks come from ND4J's thread-local generator: {@code Nd4j.getRandom().setSeed(s)} before a call
 * reproduces that call's mask. PyTorch's {@code UserWarning}s are logged as one SLF4J WARN per call on this
 * class's logger.
 *
 * <p>Example:
 * <pre>{@code
 * INDArray x = Nd4j.randn(DataType.FLOAT, 20, 16);
 * INDArray y = Functional.dropout(x, 0.2, true, false);          // ~20% zeros, the rest x / 0.8
 * INDArray maps = Nd4j.randn(DataType.FLOAT, 8, 3, 32, 32);
 * INDArray z = Functional.dropout2d(maps, 0.5, true, true);      // whole channels zeroed, in place (z == maps)
 * }</pre>
 */
public final class Functional {

    private static final Logger log = LoggerFactory.getLogger(Functional.class);

    private Functional() {
    }

    /**
     * Element-wise dropout: each element is zeroed with probability {@code p} and the rest are scaled by
     * {@code 1/(1-p)}. Input of any shape, including 0-D. Like {@code torch.nn.functional.dropout}.
     */
    public static INDArray dropout(INDArray input, double p, boolean training, boolean inplace) {
        return run(input, p, training, inplace, false, MaskAxes.ELEMENTWISE::forRank);
    }

    /**
     * Element-wise dropout with one draw shared along {@code sharedAxes} (Keras's {@code noise_shape}): e.g.
     * {@code dropout(x, 0.3, true, false, 2)} on {@code (N, C, T)} drops the same (example, channel) pairs at
     * every step {@code t}. Negative axes count from the last. No shared axes: {@link #dropout(INDArray, double,
     * boolean, boolean)}.
     *
     * @throws IllegalArgumentException if an axis is outside the input's rank
     */
    public static INDArray dropout(INDArray input, double p, boolean training, boolean inplace, int... sharedAxes) {
        checkProbability(p);
        int[] maskAxes = unsharedAxes(input.rank(), sharedAxes, "dropout");
        return run(input, p, training, inplace, false, rank -> maskAxes);
    }

    /** {@link #dropout(INDArray, double, boolean, boolean)} in training, not in place (PyTorch's defaults). */
    public static INDArray dropout(INDArray input, double p) {
        return dropout(input, p, true, false);
    }

    /**
     * Channel-wise dropout for one spatial dimension: input {@code (N, C, L)}, or {@code (C, L)} without a batch
     * dimension; each channel of each example is zeroed as a whole with probability {@code p}.
     *
     * @throws IllegalArgumentException for any other rank, even when not training or when {@code p == 0}
     */
    public static INDArray dropout1d(INDArray input, double p, boolean training, boolean inplace) {
        checkProbability(p);
        int rank = input.rank();
        if (rank != 2 && rank != 3) {
            throw new IllegalArgumentException("dropout1d: Expected 2D or 3D input, but received a " + rank
                    + "D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                    + "spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
                    + "inputs).");
        }
        MaskAxes axes = rank == 3 ? MaskAxes.BATCH_AND_CHANNEL : MaskAxes.FIRST;
        return run(input, p, training, inplace, false, axes::forRank);
    }

    /** {@link #dropout1d(INDArray, double, boolean, boolean)} in training, not in place (PyTorch's defaults). */
    public static INDArray dropout1d(INDArray input, double p) {
        return dropout1d(input, p, true, false);
    }

    /**
     * Channel-wise dropout for two spatial dimensions: input {@code (N, C, H, W)}; each channel of each
     * example is zeroed as a whole with probability {@code p}. As in PyTorch, 3-D input is taken as
     * {@code (N, C, L)} (with a warning), other ranks warn and use the mask shape {@code (N, C, 1, ...)}
     * (2-D: element-wise); 0-D and 1-D input fail in training with "Feature dropout requires at least 2
     * dimensions in the input".
     */
    public static INDArray dropout2d(INDArray input, double p, boolean training, boolean inplace) {
        checkProbability(p);
        int rank = input.rank();
        if (rank != 3 && rank != 4) {
            warnDeprecatedRank("dropout2d", 2, rank);
        }
        if (rank == 3) {
            log.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                    + "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                    + "This behavior will change in a future release to interpret the input as one without a "
                    + "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                    + "please switch to using dropout1d instead.");
        }
        return run(input, p, training, inplace, false, MaskAxes.BATCH_AND_CHANNEL::forRank);
    }

    /** {@link #dropout2d(INDArray, double, boolean, boolean)} in training, not in place (PyTorch's defaults). */
    public static INDArray dropout2d(INDArray input, double p) {
        return dropout2d(input, p, true, false);
    }

    /**
     * Channel-wise dropout for three spatial dimensions: input {@code (N, C, D, H, W)}, or {@code (C, D, H, W)}
     * without a batch dimension; each channel is zeroed as a whole with probability {@code p}. Other ranks warn
     * and, as in PyTorch, are treated as unbatched: the mask varies only along axis 0 (1-D: element-wise; 0-D
     * fails in training).
     */
    public static INDArray dropout3d(INDArray input, double p, boolean training, boolean inplace) {
        checkProbability(p);
        int rank = input.rank();
        if (rank != 4 && rank != 5) {
            warnDeprecatedRank("dropout3d", 3, rank);
        }
        MaskAxes axes = rank == 5 ? MaskAxes.BATCH_AND_CHANNEL : MaskAxes.FIRST;
        return run(input, p, training, inplace, false, axes::forRank);
    }

    /** {@link #dropout3d(INDArray, double, boolean, boolean)} in training, not in place (PyTorch's defaults). */
    public static INDArray dropout3d(INDArray input, double p) {
        return dropout3d(input, p, true, false);
    }

    /**
     * Alpha dropout for self-normalising (SELU) networks: each element is dropped with probability {@code p}
     * to SELU's negative saturation value, then an affine map restores zero mean and unit variance. Kept
     * values become {@code a*x + alpha*a*p}, dropped ones {@code -alpha*a*(1-p)} (plus {@code x*0}), with
     * {@code alpha = 1.7580993408473766} and {@code a = 1/sqrt((alpha^2 p + 1)(1 - p))}. Any shape.
     */
    public static INDArray alphaDropout(INDArray input, double p, boolean training, boolean inplace) {
        return run(input, p, training, inplace, true, MaskAxes.ELEMENTWISE::forRank);
    }

    /**
     * {@link #alphaDropout(INDArray, double, boolean, boolean)} with PyTorch's defaults, which for alpha
     * dropout are {@code training = false} (so this returns {@code input}) and {@code inplace = false}.
     */
    public static INDArray alphaDropout(INDArray input, double p) {
        return alphaDropout(input, p, false, false);
    }

    /**
     * Alpha dropout with a channel-wise mask: the mask has shape {@code (d0, d1, 1, ..., 1)} for input of any
     * rank of at least 2 (no unbatched form); 0-D and 1-D input fail in training.
     */
    public static INDArray featureAlphaDropout(INDArray input, double p, boolean training, boolean inplace) {
        return run(input, p, training, inplace, true, MaskAxes.BATCH_AND_CHANNEL::forRank);
    }

    /**
     * {@link #featureAlphaDropout(INDArray, double, boolean, boolean)} with PyTorch's defaults, which are
     * {@code training = false} (so this returns {@code input}) and {@code inplace = false}.
     */
    public static INDArray featureAlphaDropout(INDArray input, double p) {
        return featureAlphaDropout(input, p, false, false);
    }

    /**
     * Checks that {@code p} is a probability, PyTorch's way.
     *
     * @return {@code p}
     * @throws IllegalArgumentException if {@code p} is outside [0, 1] or NaN
     */
    static double checkProbability(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        return p;
    }

    /**
     * The axes a mask varies along when one draw is shared along {@code sharedAxes} of a rank-{@code rank} array:
     * all the others, or {@code null} (element-wise) when none is shared.
     *
     * @param who names the caller in the message
     * @throws IllegalArgumentException if a shared axis is outside {@code [-rank, rank)}
     */
    static int[] unsharedAxes(int rank, int[] sharedAxes, String who) {
        if (sharedAxes == null || sharedAxes.length == 0) {
            return null;
        }
        boolean[] shared = new boolean[rank];
        for (int axis : sharedAxes) {
            if (axis < -rank || axis >= rank) {
                throw new IllegalArgumentException(who + ": shared axis " + axis + " is out of range for an input of "
                        + "rank " + rank);
            }
            shared[axis < 0 ? axis + rank : axis] = true;
        }
        return IntStream.range(0, rank).filter(axis -> !shared[axis]).toArray();
    }

    private static INDArray run(INDArray input, double p, boolean training, boolean inplace, boolean alpha,
                                IntFunction<int[]> axes) {
        checkProbability(p);
        if (p == 0 || !training || input.isEmpty()) {
            return input;
        }
        int[] maskAxes = p == 1 ? null : axes.apply(input.rank());
        long key = p == 1 ? 0 : DropoutKernel.newKey();
        INDArray out = inplace ? input : DropoutKernel.emptyLike(input);
        return DropoutKernel.forward(input, out, p, alpha, maskAxes, key);
    }

    private static void warnDeprecatedRank(String function, int spatialDims, int rank) {
        log.warn(function + ": Received a " + rank + "-D input to " + function + ", which is deprecated and will "
                + "result in an error in a future release. To retain the behavior and silence this warning, please "
                + "use dropout instead. Note that " + function + " exists to provide channel-wise dropout on inputs "
                + "with " + spatialDims + " spatial dimensions, a channel dimension, and an optional batch dimension "
                + "(i.e. " + (spatialDims + 1) + "D or " + (spatialDims + 2) + "D inputs).");
    }

    /** Which axes a mask varies along, PyTorch's way: all, (batch, channel), or only the first. */
    private enum MaskAxes {
        /** One draw per element. */
        ELEMENTWISE(null, 0),
        /** One draw per (example, channel): axes 0 and 1; needs at least 2 dimensions. */
        BATCH_AND_CHANNEL(new int[] {0, 1}, 2),
        /** Unbatched input: one draw per index of axis 0 (PyTorch adds a batch axis first, so needs 1 dimension). */
        FIRST(new int[] {0}, 1);

        private final int[] axes;
        private final int minimumRank;

        MaskAxes(int[] axes, int minimumRank) {
            this.axes = axes;
            this.minimumRank = minimumRank;
        }

        int[] forRank(int rank) {
            if (rank < minimumRank) {
                throw new IllegalArgumentException("Feature dropout requires at least 2 dimensions in the input");
            }
            return axes == null ? null : axes.clone();
        }
    }
}
