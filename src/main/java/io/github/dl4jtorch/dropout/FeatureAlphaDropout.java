package io.github.dl4jtorch.dropout;

import org.deeplearning4j.nn.conf.DataFormat;

/**
 * {@link AlphaDropout} with a channel-wise mask: during training, for each example, each channel is dropped as
 * a whole with probability {@code p} to SELU's saturation value, then the same affine map as AlphaDropout keeps
 * mean and variance; in evaluation, the identity. PyTorch's {@code torch.nn.FeatureAlphaDropout} as a DL4J
 * layer.
 *
 * <p><b>Args:</b> {@code p} – probability of a channel to be dropped (default 0.5); {@code inplace} – overwrite
 * the input activations where DL4J allows it (default false; PyTorch's module ignores the flag, this layer
 * honours it); {@code dataFormat} – any DL4J format (NCW/NWC, NCHW/NHWC, NCDHW/NDHWC), by default taken from the
 * network's input type; without one, channels are on axis 1 as in PyTorch.
 *
 * <p><b>Shape:</b> input of rank 2 or more, {@code (N, C, ...)} or channels-last per its format; the output has
 * the same shape. For feed-forward input {@code (N, C)} the mask is element-wise.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.SELU).build())
 * .layer(new FeatureAlphaDropout(0.2))              // nn.FeatureAlphaDropout(p=0.2)
 * }</pre>
 *
 * @see Functional#featureAlphaDropout
 */
public class FeatureAlphaDropout extends AbstractChannelDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false, data format from the input type. */
    public FeatureAlphaDropout() {
        this(new Builder());
    }

    /** @param p probability of a channel to be dropped, in [0, 1] */
    public FeatureAlphaDropout(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of a channel to be dropped, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public FeatureAlphaDropout(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private FeatureAlphaDropout(Builder builder) {
        super(builder);
    }

    @Override
    ChannelLayout layout() {
        return ChannelLayout.ANY;
    }

    @Override
    boolean alpha() {
        return true;
    }

    /** Builds a {@link FeatureAlphaDropout}: {@code new FeatureAlphaDropout.Builder().p(0.2).build()}. */
    public static class Builder extends AbstractChannelDropout.Builder<Builder> {

        /** Where the channels are (any DL4J data format). Default: the input type's format, else axis 1. */
        public Builder dataFormat(DataFormat dataFormat) {
            return format(dataFormat);
        }

        @Override
        @SuppressWarnings("unchecked")
        public FeatureAlphaDropout build() {
            return new FeatureAlphaDropout(this);
        }
    }
}
