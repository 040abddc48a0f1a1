package io.github.dl4jtorch.dropout;

import org.deeplearning4j.nn.conf.CNN2DFormat;

/**
 * During training, zeroes whole feature maps: for each example, each channel is zeroed with probability
 * {@code p} at every position, and the others are scaled by {@code 1/(1-p)}; in evaluation, the identity.
 * PyTorch's {@code torch.nn.Dropout2d} as a DL4J layer, for input after 2-D convolutions, where neighbouring
 * pixels are correlated and element-wise dropout would hardly regularise (Tompson et al., "Efficient Object
 * Localization Using Convolutional Networks", 2015).
 *
 * <p><b>Args:</b> {@code p} – probability of a channel to be zeroed (default 0.5); {@code inplace} – overwrite
 * the input activations where DL4J allows it (default false); {@code dataFormat} – {@link CNN2DFormat#NCHW} or
 * {@link CNN2DFormat#NHWC}, by default taken from the network's input type. Unlike DL4J's
 * {@code SpatialDropout}, channels-last input gets a channel-wise mask too.
 *
 * <p><b>Shape:</b> convolutional input {@code (N, C, H, W)} (NCHW) or {@code (N, H, W, C)} (NHWC); the output
 * has the same shape.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
 * .layer(new Dropout2d(0.5))                        // nn.Dropout2d(p=0.5)
 * ...
 * .setInputType(InputType.convolutional(28, 28, 1, CNN2DFormat.NHWC))
 * }</pre>
 *
 * @see Functional#dropout2d
 */
public class Dropout2d extends AbstractChannelDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false, data format from the input type. */
    public Dropout2d() {
        this(new Builder());
    }

    /** @param p probability of a channel to be zeroed, in [0, 1] */
    public Dropout2d(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of a channel to be zeroed, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public Dropout2d(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private Dropout2d(Builder builder) {
        super(builder);
    }

    @Override
    ChannelLayout layout() {
        return ChannelLayout.TWO_SPATIAL_DIMS;
    }

    /** Builds a {@link Dropout2d}: {@code new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).build()}. */
    public static class Builder extends AbstractChannelDropout.Builder<Builder> {

        /** Where the channels are: NCHW (axis 1) or NHWC (axis 3). Default: the network's input type's format. */
        public Builder dataFormat(CNN2DFormat dataFormat) {
            return format(dataFormat);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Dropout2d build() {
            return new Dropout2d(this);
        }
    }
}
