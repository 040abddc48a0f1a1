package io.github.dl4jtorch.dropout;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.NoParamLayer;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * What the six dropout layers share: the drop probability {@code p} (fixed, or a schedule over iterations or
 * epochs), the {@code inplace} flag, their validation, string form, serialised form and the runtime layer. Each
 * subclass says only what differs: the mask's shape and whether it is alpha dropout. {@link TorchDropout} applies
 * any of these configurations to another layer's input, DL4J's {@code dropOut(IDropout)} way.
 *
 * <p>The layers are identities in evaluation ({@code net.output(x)}) and drop in training ({@code fit},
 * {@code output(x, true)}). With {@code inplace} they overwrite their input activations where DL4J allows a
 * layer to modify its input: not the network's own input arrays (see the README for the one case DL4J's own
 * pass-through layers create), and never inside a {@code ComputationGraph}, where DL4J also allows it to the
 * last of several layers reading one activation while the others still need that activation for backprop.
 * Elsewhere they silently allocate a new array. Built with {@code monteCarlo(true)}, a layer drops in evaluation
 * too (Monte Carlo dropout); {@link McDropout} does that for every layer of a network for one call and summarises
 * the samples.
 *
 * <p>DL4J's own dropout setting ({@code NeuralNetConfiguration.Builder.dropOut(retainProbability)}), which
 * DL4J copies into every layer, does not apply to these layers: they are dropout already.
 */
public abstract class AbstractDropout extends NoParamLayer {

    private static final long serialVersionUID = 1L;

    @JsonProperty("p")
    private double p = 0.5;

    @JsonProperty("pSchedule")
    private ISchedule pSchedule;

    @JsonProperty("inplace")
    private boolean inplace;

    /** Absent from JSON written before Monte Carlo dropout: such configurations load with false. */
    @JsonProperty("monteCarlo")
    private boolean monteCarlo;

    /** For deserialisation: p = 0.5, inplace = false, monteCarlo = false. */
    protected AbstractDropout() {
    }

    protected AbstractDropout(Builder<?> builder) {
        super(builder);
        this.pSchedule = builder.pSchedule;
        this.p = Functional.checkProbability(pSchedule == null ? builder.p : pSchedule.valueAt(0, 0));
        this.inplace = builder.inplace;
        this.monteCarlo = builder.monteCarlo;
    }

    /**
     * Probability of an element (or channel) to be zeroed in training. With a {@linkplain #getPSchedule() schedule},
     * its value at iteration 0, epoch 0 (the probability the network starts training with).
     */
    public double getP() {
        return p;
    }

    /** The schedule {@code p} follows over the network's iterations or epochs, or {@code null} for a fixed {@code p}. */
    @JsonIgnore // serialised as the field "pSchedule"; the getter's bean name would add "pschedule"
    public ISchedule getPSchedule() {
        return pSchedule;
    }

    /**
     * The drop probability at the network's {@code iteration} and {@code epoch} (counted from 0, as DL4J's
     * {@code fit} advances them): the schedule's value there, or the fixed {@code p}.
     *
     * @throws IllegalStateException if the schedule gives a value outside [0, 1] there
     */
    double probabilityAt(int iteration, int epoch) {
        if (pSchedule == null) {
            return p;
        }
        double scheduled = pSchedule.valueAt(iteration, epoch);
        try {
            return Functional.checkProbability(scheduled);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(name() + ": p schedule at iteration " + iteration + ", epoch " + epoch
                    + ": " + e.getMessage() + " (" + pSchedule + ")", e);
        }
    }

    /** Whether training overwrites the input activations (where DL4J allows it) instead of allocating. */
    public boolean isInplace() {
        return inplace;
    }

    /**
     * Whether this layer also drops in evaluation passes ({@code net.output(x)}), exactly as in training: Monte Carlo
     * dropout (Gal and Ghahramani, ICML 2016). {@link McDropout#predict} turns every layer of this library on for its
     * call whatever this says.
     */
    public boolean isMonteCarlo() {
        return monteCarlo;
    }

    /** Whether dropped lanes go to SELU's saturation value with the affine correction (alpha dropout). */
    boolean alpha() {
        return false;
    }

    /**
     * The axes along which the mask varies for input of {@code shape}; {@code null} (the default): all of them,
     * element-wise.
     *
     * @throws IllegalArgumentException if this layer cannot take input of that rank
     */
    int[] maskAxes(long[] shape) {
        return null;
    }

    /** Extra text for {@link #toString()}, after {@code inplace}; empty by default. */
    String describeExtra() {
        return "";
    }

    /** Checks, at configuration time, that this layer can take input of {@code inputType}. */
    void checkInputType(InputType inputType) {
    }

    /** Checks, when the network is initialised, that this layer's configuration is complete. */
    void checkComplete(int layerIndex) {
    }

    @Override
    public org.deeplearning4j.nn.api.Layer instantiate(NeuralNetConfiguration conf,
                                                       Collection<TrainingListener> trainingListeners,
                                                       int layerIndex, INDArray layerParamsView,
                                                       boolean initializeParams, DataType networkDataType) {
        checkComplete(layerIndex);
        DropoutRuntimeLayer layer = new DropoutRuntimeLayer(conf, networkDataType);
        layer.setListeners(trainingListeners);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        layer.setParamTable(paramTable);
        layer.setConf(conf);
        return layer;
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        if (inputType == null) {
            throw new IllegalStateException(name() + ": input type is null");
        }
        checkInputType(inputType);
        return inputType;
    }

    @Override
    public InputPreProcessor getPreProcessorForInputType(InputType inputType) {
        return null;
    }

    @Override
    public LayerMemoryReport getMemoryReport(InputType inputType) {
        long perExample = inputType.arrayElementsPerExample();
        return new LayerMemoryReport.Builder(getLayerName(), getClass(), inputType, inputType)
                .standardMemory(0, 0)
                // Inference is the identity unless Monte Carlo; dropping writes one output activation (none when in
                // place in training; an evaluation pass may not be allowed to write in place).
                .workingMemory(0, monteCarlo ? perExample : 0, 0, inplace ? 0 : perExample)
                .cacheMemory(MemoryReport.CACHE_MODE_ALL_ZEROS, MemoryReport.CACHE_MODE_ALL_ZEROS)
                .build();
    }

    /** Always {@code null}: DL4J's retain-probability dropout does not apply to a dropout layer. */
    @Override
    public IDropout getIDropout() {
        return null;
    }

    /** Ignored: DL4J copies its network-wide {@code dropOut(...)} into every layer; these are dropout already. */
    @Override
    public void setIDropout(IDropout iDropout) {
        // deliberately not stored
    }

    /** The layer's name for messages: its class, and its name in the network when it has one. */
    String name() {
        String layerName = getLayerName();
        return getClass().getSimpleName() + (layerName == null ? "" : " layer \"" + layerName + "\"");
    }

    /**
     * PyTorch's form, e.g. {@code Dropout(p=0.5, inplace=false)}; with a schedule, the schedule in place of the
     * number, e.g. {@code Dropout(p=StepSchedule(...), inplace=false)}; {@code monteCarlo=true} last, only when set,
     * e.g. {@code Dropout(p=0.5, inplace=false, monteCarlo=true)}.
     */
    @Override
    public String toString() {
        return getClass().getSimpleName() + "(p=" + (pSchedule == null ? p : pSchedule) + ", inplace=" + inplace
                + describeExtra() + (monteCarlo ? ", monteCarlo=true" : "") + ")";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || o.getClass() != getClass() || !super.equals(o)) {
            return false;
        }
        AbstractDropout other = (AbstractDropout) o;
        return Double.compare(p, other.p) == 0 && Objects.equals(pSchedule, other.pSchedule)
                && inplace == other.inplace && monteCarlo == other.monteCarlo;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), p, pSchedule, inplace, monteCarlo);
    }

    @Override
    public AbstractDropout clone() {
        AbstractDropout clone = (AbstractDropout) super.clone();
        clone.pSchedule = pSchedule == null ? null : pSchedule.clone();
        return clone;
    }

    /**
     * Builder shared by the six layers.
     *
     * @param <T> the concrete builder
     */
    @SuppressWarnings("unchecked")
    public abstract static class Builder<T extends Builder<T>> extends org.deeplearning4j.nn.conf.layers.Layer.Builder<T> {

        private double p = 0.5;
        private ISchedule pSchedule;
        private boolean inplace;
        private boolean monteCarlo;

        /** Probability of an element (or channel) to be zeroed, in [0, 1]. Default: 0.5. Replaces a schedule. */
        public T p(double p) {
            this.p = p;
            this.pSchedule = null;
            return (T) this;
        }

        /**
         * A drop probability that follows {@code schedule} over the network's iterations or epochs (DL4J's
         * {@link ISchedule}: {@code StepSchedule}, {@code MapSchedule}, ...; its {@code ScheduleType} says which count
         * it reads); every value must lie in [0, 1]. Replaces a fixed {@code p}. Default: none.
         */
        public T pSchedule(ISchedule schedule) {
            this.pSchedule = Objects.requireNonNull(schedule, "schedule");
            return (T) this;
        }

        /** Overwrite the input activations in training where DL4J allows it. Default: false. */
        public T inplace(boolean inplace) {
            this.inplace = inplace;
            return (T) this;
        }

        /**
         * Drop in evaluation passes too ({@code net.output(x)}), with the same {@code p}, masks and scaling as in
         * training, for Monte Carlo dropout: the spread of repeated outputs estimates the model's uncertainty
         * (Gal and Ghahramani, ICML 2016). Only this layer changes: the others stay in evaluation mode. Has no
         * effect through {@link TorchDropout}, which DL4J calls in training passes only. Default: false.
         */
        public T monteCarlo(boolean monteCarlo) {
            this.monteCarlo = monteCarlo;
            return (T) this;
        }

        /**
         * Not supported: DL4J's {@code dropOut} takes a <em>retain</em> probability and would add a second
         * dropout. Use {@link #p(double)}, the probability of zeroing.
         */
        @Override
        public T dropOut(double inputRetainProbability) {
            throw new UnsupportedOperationException("dropOut(retainProbability) does not apply to a dropout layer: "
                    + "use p(" + (1 - inputRetainProbability) + "), the probability of zeroing");
        }

        /** Not supported: a dropout layer takes no second dropout. Use {@link #p(double)}. */
        @Override
        public T dropOut(IDropout dropout) {
            throw new UnsupportedOperationException("dropOut(IDropout) does not apply to a dropout layer: use p(...)");
        }
    }
}
