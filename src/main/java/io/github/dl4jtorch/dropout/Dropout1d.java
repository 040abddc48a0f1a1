package io.github.dl4jtorch.dropout;

import org.deeplearning4j.nn.conf.RNNFormat;

/**
 * During training, zeroes whole channels of sequence input: for each example, each channel is zeroed with
 * probability {@code p} at every time step, and the others are scaled by {@code 1/(1-p)}; in evaluation, the
 * identity. PyTorch's {@code torch.nn.Dropout1d} as a DL4J layer, for input after 1-D convolutions, where
 * neighbouring steps are correlated and element-wise dropout would hardly regularise (Tompson et al.,
 * "Efficient Object Localization Using Convolutional Networks", 2015).
 *
 * <p><b>Args:</b> {@code p} – probability of a channel to be zeroed (default 0.5); {@code inplace} – overwrite
 * the input activations where DL4J allows it (default false); {@code dataFormat} – {@link RNNFormat#NCW} or
 * {@link RNNFormat#NWC}, by default taken from the network's input type.
 *
 * <p><b>Shape:</b> recurrent input {@code (N, C, L)} (NCW) or {@code (N, L, C)} (NWC); the output has the same
 * shape. (The functional form also takes PyTorch's unbatched {@code (C, L)}.)
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * .layer(new Convolution1DLayer.Builder().nOut(32).kernelSize(3).build())
 * .layer(new Dropout1d(0.2))                        // nn.Dropout1d(p=0.2)
 * ...
 * .setInputType(InputType.recurrent(16, 100, RNNFormat.NCW))
 * }</pre>
 *
 * @see Functional#dropout1d
 */
public class Dropout1d extends AbstractChannelDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false, data format from the input type. */
    public Dropout1d() {
        this(new Builder());
    }

    /** @param p probability of a channel to be zeroed, in [0, 1] */
    public Dropout1d(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of a channel to be zeroed, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public Dropout1d(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private Dropout1d(Builder builder) {
        super(builder);
    }

    @Override
    ChannelLayout layout() {
        return ChannelLayout.ONE_SPATIAL_DIM;
    }

    /** Builds a {@link Dropout1d}: {@code new Dropout1d.Builder().p(0.2).dataFormat(RNNFormat.NWC).build()}. */
    public static class Builder extends AbstractChannelDropout.Builder<Builder> {

        /** Where the channels are: NCW (axis 1) or NWC (axis 2). Default: the network's input type's format. */
        public Builder dataFormat(RNNFormat dataFormat) {
            return format(dataFormat);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Dropout1d build() {
            return new Dropout1d(this);
        }
    }
}
