package io.github.dl4jtorch.dropout;

/**
 * Alpha dropout for self-normalising networks (SELU activations; Klambauer et al., "Self-Normalizing Neural
 * Networks", 2017): during training each element is set with probability {@code p} to SELU's negative
 * saturation value, then an affine map keeps the activations' mean and variance (zero and one for
 * standardised input); in evaluation, the identity. PyTorch's {@code torch.nn.AlphaDropout} as a DL4J layer.
 *
 * <p>Kept elements become {@code a*x + alpha*a*p} and dropped ones {@code -alpha*a*(1-p)}, with
 * {@code alpha = 1.7580993408473766} and {@code a = 1/sqrt((alpha^2 p + 1)(1 - p))}.
 *
 * <p><b>Args:</b> {@code p} – probability of an element to be dropped (default 0.5); {@code inplace} – overwrite
 * the input activations where DL4J allows it (default false). PyTorch's module ignores its {@code inplace}
 * flag; this layer honours it.
 *
 * <p><b>Shape:</b> input of any shape; the output has the same shape.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * .layer(new DenseLayer.Builder().nOut(256).activation(Activation.SELU).weightInit(WeightInit.LECUN_NORMAL).build())
 * .layer(new AlphaDropout(0.1))                     // nn.AlphaDropout(p=0.1)
 * }</pre>
 *
 * @see Functional#alphaDropout
 */
public class AlphaDropout extends AbstractDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false. */
    public AlphaDropout() {
        this(new Builder());
    }

    /** @param p probability of an element to be dropped, in [0, 1] */
    public AlphaDropout(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of an element to be dropped, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public AlphaDropout(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private AlphaDropout(Builder builder) {
        super(builder);
    }

    @Override
    boolean alpha() {
        return true;
    }

    /** Builds an {@link AlphaDropout}: {@code new AlphaDropout.Builder().p(0.1).build()}. */
    public static class Builder extends AbstractDropout.Builder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public AlphaDropout build() {
            return new AlphaDropout(this);
        }
    }
}
