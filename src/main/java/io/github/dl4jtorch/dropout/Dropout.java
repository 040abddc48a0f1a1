package io.github.dl4jtorch.dropout;

/**
 * During training, zeroes each element of the input independently with probability {@code p} and scales the
 * others by {@code 1/(1-p)}; in evaluation, the identity. PyTorch's {@code torch.nn.Dropout} as a DL4J layer
 * (Hinton et al., "Improving neural networks by preventing co-adaptation of feature detectors", 2012).
 *
 * <p><b>Args:</b> {@code p} – probability of an element to be zeroed (default 0.5; DL4J's own dropout takes
 * the probability of <em>keeping</em> it instead); {@code inplace} – overwrite the input activations where DL4J
 * allows it (default false).
 *
 * <p><b>Shape:</b> input of any type and shape (feed-forward, recurrent, convolutional); the output has the
 * same shape.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
 *     .layer(new DenseLayer.Builder().nIn(784).nOut(256).activation(Activation.IDENTITY).build())
 *     .layer(new Dropout(0.2))                      // nn.Dropout(p=0.2)
 *     .layer(new ActivationLayer(Activation.RELU))
 *     .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(256).nOut(10).activation(Activation.SOFTMAX).build())
 *     .build();
 * }</pre>
 *
 * @see Functional#dropout
 */
public class Dropout extends AbstractDropout {

    private static final long serialVersionUID = 1L;

    /** p = 0.5, inplace = false. */
    public Dropout() {
        this(new Builder());
    }

    /** @param p probability of an element to be zeroed, in [0, 1] */
    public Dropout(double p) {
        this(new Builder().p(p));
    }

    /**
     * @param p       probability of an element to be zeroed, in [0, 1]
     * @param inplace overwrite the input activations where DL4J allows it
     */
    public Dropout(double p, boolean inplace) {
        this(new Builder().p(p).inplace(inplace));
    }

    private Dropout(Builder builder) {
        super(builder);
    }

    /** Builds a {@link Dropout}: {@code new Dropout.Builder().p(0.2).inplace(true).name("drop1").build()}. */
    public static class Builder extends AbstractDropout.Builder<Builder> {
        @Override
        @SuppressWarnings("unchecked")
        public Dropout build() {
            return new Dropout(this);
        }
    }
}
