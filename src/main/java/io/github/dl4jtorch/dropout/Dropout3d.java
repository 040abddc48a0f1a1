package io.github.dl4jtorch.dropout;

import org.deeplearning4j.nn.conf.layers.Convolution3D;

/**
 * During training, zeroes whole 3-D feature volumes: for each example, each channel is zeroed with probability
 * {@code p} at every position, and the others are scaled by {@code 1/(1-p)}; in evaluation, the identity.
 * PyTorch's {@code torch.nn.Dropout3d} as a DL4J layer, for input after 3-D convolutions (Tompson et al.,
 * "Efficient Object Localization Using Convolutional Networks", 2015).
 *
 * <p><b>Args:</b> {@code p} – probability of a channel to be zeroed (default 0.5); {@code inplace} – overwrite
 * the input activations where DL4J allows it (default false); {@code dataFormat} –
 * {@link Convolution3D.DataFormat#NCDHW} or {@link Convolution3D.DataFormat#NDHWC}, by default taken from the
 * network's input type.
 *
 * <p><b>Shape:</b> input {@code (N, C, D, H, W)} (NCDHW) or {@code (N, D, H, W, C)} (NDHWC); the output has the
 * same shape. (The functional form also takes PyTorch's unbatched {@code (C, D, H, W)}.)
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * .layer(new Convolution3D.Builder().kernelSize(3, 3, 3).nOut(8).dataFormat(Convolution3D.DataFormat.NCDHW).build())
 * .layer(new Dropout3d(0.3))                        // nn.Dropout3d(p=0.3)
 * ...
 * .setInputType(InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 8, 16, 16, 1))
 * }</pre>
 *
 * @see Functional#dropout3d
 */
public class Dropout3d extends AbstractChannelDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false, data format from the input type. */
    public Dropout3d() {
        this(new Builder());
    }

    /** @param p probability of a channel to be zeroed, in [0, 1] */
    public Dropout3d(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of a channel to be zeroed, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public Dropout3d(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private Dropout3d(Builder builder) {
        super(builder);
    }

    @Override
    ChannelLayout layout() {
        return ChannelLayout.THREE_SPATIAL_DIMS;
    }

    /** Builds a {@link Dropout3d}: {@code new Dropout3d.Builder().p(0.3).dataFormat(DataFormat.NDHWC).build()}. */
    public static class Builder extends AbstractChannelDropout.Builder<Builder> {

        /** Where the channels are: NCDHW (axis 1) or NDHWC (axis 4). Default: the network's input type's format. */
        public Builder dataFormat(Convolution3D.DataFormat dataFormat) {
            return format(dataFormat);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Dropout3d build() {
            return new Dropout3d(this);
        }
    }
}
