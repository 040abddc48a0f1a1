package io.github.dl4jtorch.dropout;

import java.util.Arrays;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * During training, zeroes each element of the input independently with probability {@code p} and scales the
 * others by {@code 1/(1-p)}; in evaluation, the identity. PyTorch's {@code torch.nn.Dropout} as a DL4J layer
 * (Hinton et al., "Improving neural networks by preventing co-adaptation of feature detectors", 2012).
 *
 * <p><b>Args:</b> {@code p} – probability of an element to be zeroed (default 0.5; DL4J's own dropout takes
 * the probability of <em>keeping</em> it instead), or {@code pSchedule} – the same following a DL4J
 * {@code ISchedule}; {@code inplace} – overwrite the input activations where DL4J allows it (default false);
 * {@code sharedAxes} – axes along which one draw is shared (default none: every element is drawn on its own),
 * like Keras's {@code noise_shape}: {@code sharedAxes(2)} on recurrent NCW input {@code (N, C, T)} drops the same
 * units at every time step of a sequence (variational or "locked" dropout; {@code sharedAxes(1)} for NWC).
 *
 * <p><b>Shape:</b> input of any type and shape (feed-forward, recurrent, convolutional); the output has the
 * same shape. With shared axes, the input's rank must exceed every shared axis.
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

    @JsonProperty("sharedAxes")
    private int[] sharedAxes;

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
        this.sharedAxes = builder.sharedAxes;
    }

    /** The axes along which one draw is shared, or {@code null} for none (element-wise). */
    public int[] getSharedAxes() {
        return sharedAxes == null ? null : sharedAxes.clone();
    }

    @Override
    int[] maskAxes(long[] shape) {
        return Functional.unsharedAxes(shape.length, sharedAxes, name());
    }

    @Override
    String describeExtra() {
        return sharedAxes == null ? "" : ", sharedAxes=" + Arrays.toString(sharedAxes);
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Arrays.equals(sharedAxes, ((Dropout) o).sharedAxes);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Arrays.hashCode(sharedAxes);
    }

    /** Builds a {@link Dropout}: {@code new Dropout.Builder().p(0.2).inplace(true).name("drop1").build()}. */
    public static class Builder extends AbstractDropout.Builder<Builder> {

        private int[] sharedAxes;

        /**
         * Axes of the activation along which one draw is shared (Keras's {@code noise_shape}, DJL's
         * {@code sharedAxes}); negative values count from the last axis. Default: none, every element drawn on its
         * own. E.g. {@code sharedAxes(2)} for one mask per sequence on NCW input {@code (N, C, T)}.
         */
        public Builder sharedAxes(int... axes) {
            this.sharedAxes = axes == null || axes.length == 0 ? null : axes.clone();
            return this;
        }

        @Override
        @SuppressWarnings("unchecked")
        public Dropout build() {
            return new Dropout(this);
        }
    }
}
