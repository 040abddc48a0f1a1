package io.github.dl4jtorch.dropout;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * PyTorch's dropout as a DL4J {@link IDropout}: what {@code .dropOut(...)} takes on any layer's builder, on
 * {@code NeuralNetConfiguration.Builder} for every layer, on DL4J's {@code DropoutLayer} and in
 * {@code FineTuneConfiguration}. DL4J applies it to the layer's <em>input</em> in training passes only.
 * {@code p} is the probability of <em>zeroing</em> (DL4J's own {@code Dropout} takes the probability of keeping);
 * kept values are scaled by {@code 1/(1-p)} with PyTorch's rounding, exactly as the {@link Dropout} layer does.
 *
 * <p><b>Args:</b> {@code p} – probability of an element to be zeroed, in [0, 1]; or a DL4J {@link ISchedule} of it;
 * or, with {@link #from(AbstractDropout)}, any of the six layer configurations: channel-wise variants with their
 * data format (without one, channels on axis 1, PyTorch's and DL4J's convention: an {@code IDropout} does not see
 * the network's input types), alpha variants with their constants, {@link Dropout.Builder#sharedAxes shared axes},
 * schedules. The configuration's {@code inplace} flag has no effect here: DL4J decides whether the input may be
 * overwritten and hands the {@code IDropout} its output array.
 *
 * <p><b>Shape:</b> whatever the variant takes; the output has the input's shape.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * new OutputLayer.Builder(LossFunction.MCXENT).nIn(256).nOut(10)
 *     .dropOut(new TorchDropout(0.2))               // nn.Dropout(p=0.2) on the output layer's input
 *     .build();
 * new NeuralNetConfiguration.Builder().dropOut(new TorchDropout(0.5))   // every layer's input
 * new ConvolutionLayer.Builder(3, 3).nOut(16)
 *     .dropOut(TorchDropout.from(new Dropout2d.Builder().p(0.1).dataFormat(CNN2DFormat.NHWC).build()))
 * }</pre>
 *
 * <p><b>State.</b> DL4J gives an {@code IDropout} no handle on the layer calling it, does not clone one instance given
 * to several layers' builders, and shares layer configurations between networks built from one configuration
 * object. DL4J's own {@code Dropout} keeps its mask in the instance and drops it after one backprop, hence "Dropout
 * mask array is absent" and masks that one user of an instance overwrites for another. This class keeps, per
 * instance and per thread, the 64-bit mask keys of the current iteration's forward passes in the order they were
 * drawn; a backprop takes the latest one of its gradient's shape not yet used by the current backward sweep (layers
 * backpropagate in the reverse order of their forward passes), and a sweep that finds none below it starts again from
 * the latest. So threads, networks and layers sharing an instance never see each other's masks, a backward pass can
 * be repeated, and nothing per element is kept. One case cannot be told apart: layers sharing an instance whose
 * inputs have equal shapes, backpropagated in several partial sweeps from different layers of one forward pass
 * (style transfer); there, give each layer its own instance ({@link #clone()}), as the network-wide setting does.
 *
 * <p><b>Channels-last layers.</b> DL4J's convolution and recurrent layers with a channels-last format (NHWC, NWC)
 * apply their {@code IDropout} to the input as it comes, {@code (N, H, W, C)}, but backpropagate it on a
 * channels-first view of the gradient, {@code (N, C, H, W)} (DL4J's own {@code Dropout} then fails on the shape, or
 * applies its mask in the wrong layout where the two shapes coincide). A gradient that matches no forward pass is
 * read back as channels-last, so these layers get exact gradients, except where the channels-first and
 * channels-last shapes are equal (e.g. {@code H = W = C}): there, put one of this library's layers before the DL4J
 * layer instead of an {@code IDropout} on it.
 *
 * @see Dropout
 */
public final class TorchDropout implements IDropout {

    private static final long serialVersionUID = 1L;

    /** Forward passes kept per thread and instance: a bound for callers that run many training passes per iteration. */
    private static final int MAX_PASSES = 1024;

    @JsonProperty("variant")
    private final AbstractDropout variant;

    private final transient ThreadLocal<Passes> passes = ThreadLocal.withInitial(Passes::new);

    /** For deserialisation: {@code new TorchDropout(0.5)}. */
    private TorchDropout() {
        this(new Dropout());
    }

    /** @param p probability of an element to be zeroed, in [0, 1] */
    public TorchDropout(double p) {
        this(new Dropout(p));
    }

    /** @param p the probability of an element to be zeroed over the network's iterations or epochs, in [0, 1] */
    public TorchDropout(ISchedule p) {
        this(new Dropout.Builder().pSchedule(p).build());
    }

    private TorchDropout(AbstractDropout variant) {
        this.variant = variant;
    }

    /**
     * The {@code IDropout} form of a layer configuration: the same {@code p} (or schedule), mask shape (element-wise,
     * shared axes, or channel-wise on the configuration's data format, channels-first without one) and variant
     * (standard or alpha).
     *
     * @param layer any of the six layer configurations; copied, so later changes to it do not reach this instance
     */
    public static TorchDropout from(AbstractDropout layer) {
        return new TorchDropout(Objects.requireNonNull(layer, "layer").clone());
    }

    /** The layer configuration this applies (a copy: changing it does not change this instance). */
    public AbstractDropout getVariant() {
        return variant.clone();
    }

    @Override
    public INDArray applyDropout(INDArray inputActivations, INDArray resultArray, int iteration, int epoch,
                                 LayerWorkspaceMgr workspaceMgr) {
        double p = variant.probabilityAt(iteration, epoch);
        long[] shape = inputActivations.shape();
        int[] maskAxes = variant.maskAxes(shape);
        Pass pass = new Pass(shape, p, maskAxes, p == 0 || p == 1 || inputActivations.isEmpty() ? 0
                : DropoutKernel.newKey());
        if (p == 0 || inputActivations.isEmpty()) {
            copyInto(inputActivations, resultArray);
        } else {
            DropoutKernel.forward(inputActivations, resultArray, p, variant.alpha(), maskAxes, pass.key);
        }
        passes.get().record(iteration, epoch, pass);
        return resultArray;
    }

    /**
     * Writes the gradient with respect to the layer's input into {@code gradAtInput} (DL4J passes one array as both
     * arguments and ignores the return value) and returns it.
     *
     * @throws IllegalStateException if this thread ran no training forward pass of this shape at this iteration and
     *                               epoch through this instance since {@link #clear()}
     */
    @Override
    public INDArray backprop(INDArray gradAtOutput, INDArray gradAtInput, int iteration, int epoch) {
        Passes thread = passes.get();
        long[] shape = gradAtOutput.shape();
        Pass pass = thread.match(iteration, epoch, shape);
        INDArray gradOut = gradAtOutput;
        INDArray gradIn = gradAtInput;
        if (pass == null && shape.length >= 3) {
            // DL4J's channels-last convolution and recurrent layers (NHWC, NWC, ...) drop their input as it comes,
            // then backprop it on a channels-first view of the gradient: read it back as channels-last.
            int[] channelsLast = channelsLast(shape.length);
            pass = thread.match(iteration, epoch, gradAtOutput.permute(channelsLast).shape());
            gradOut = gradAtOutput.permute(channelsLast);
            gradIn = gradAtInput.permute(channelsLast);
        }
        if (pass == null) {
            throw new IllegalStateException(this + ": backprop of a gradient of shape " + Arrays.toString(shape)
                    + " at iteration " + iteration + ", epoch " + epoch
                    + " without a training forward pass of that shape on this thread");
        }
        if (pass.p == 0) {
            copyInto(gradOut, gradIn);
        } else {
            DropoutKernel.backward(gradOut, gradIn, pass.p, variant.alpha(), pass.maskAxes, pass.key);
        }
        return gradAtInput;
    }

    /** The permutation that moves axis 1 (channels-first) to the end (channels-last). */
    private static int[] channelsLast(int rank) {
        int[] axes = new int[rank];
        for (int i = 1; i < rank - 1; i++) {
            axes[i] = i + 1;
        }
        axes[rank - 1] = 1;
        return axes;
    }

    /** Forgets this thread's forward passes (DL4J calls it when a layer clears its state); other threads keep theirs. */
    @Override
    public void clear() {
        passes.remove();
    }

    /** A new instance with the same configuration and no forward passes. */
    @Override
    public TorchDropout clone() {
        return new TorchDropout(variant.clone());
    }

    /** Java deserialisation: a fresh instance, so that the per-thread state exists. */
    private Object readResolve() {
        return new TorchDropout(variant);
    }

    private static void copyInto(INDArray from, INDArray to) {
        if (to != from) {
            to.assign(from);
        }
    }

    /** {@code TorchDropout(Dropout(p=0.5, inplace=false))}: the variant's PyTorch form. */
    @Override
    public String toString() {
        return "TorchDropout(" + variant + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TorchDropout other && variant.equals(other.variant);
    }

    @Override
    public int hashCode() {
        return variant.hashCode();
    }

    /** One forward pass: what its backprop needs to regenerate the mask. {@code p == 0}: the identity. */
    private record Pass(long[] shape, double p, int[] maskAxes, long key) {
    }

    /** One thread's forward passes through one instance in the current iteration and epoch, oldest first. */
    private static final class Passes {
        private final List<Pass> passes = new ArrayList<>();
        private int iteration = -1;
        private int epoch = -1;
        /** Index of the pass the current backward sweep used last; {@code passes.size()} between sweeps. */
        private int cursor;

        void record(int iteration, int epoch, Pass pass) {
            if (iteration != this.iteration || epoch != this.epoch) {
                passes.clear();
                this.iteration = iteration;
                this.epoch = epoch;
            }
            if (passes.size() == MAX_PASSES) {
                passes.subList(0, MAX_PASSES / 2).clear();
            }
            passes.add(pass);
            cursor = passes.size();
        }

        Pass match(int iteration, int epoch, long[] shape) {
            if (iteration != this.iteration || epoch != this.epoch) {
                return null;
            }
            int found = latestBelow(cursor, shape);
            if (found < 0) {
                found = latestBelow(passes.size(), shape); // a new backward sweep through the same passes
            }
            if (found < 0) {
                return null;
            }
            cursor = found;
            return passes.get(found);
        }

        private int latestBelow(int end, long[] shape) {
            for (int i = end - 1; i >= 0; i--) {
                if (Arrays.equals(passes.get(i).shape, shape)) {
                    return i;
                }
            }
            return -1;
        }
    }
}
