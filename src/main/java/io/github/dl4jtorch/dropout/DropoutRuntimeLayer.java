package io.github.dl4jtorch.dropout;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The runtime DL4J layer behind all six configurations: it asks its configuration for {@code p}, the mask's
 * axes and the variant, and leaves the arithmetic to {@link DropoutKernel}.
 *
 * <p>The mask is this object's state, never the (shared) configuration's, and it is only a key: backprop
 * regenerates the forward pass's mask from it.
 *
 * <p>It drops in training passes, and in evaluation passes too when its configuration says
 * {@linkplain AbstractDropout#isMonteCarlo() monteCarlo} or while {@link McDropout} has switched it on.
 */
final class DropoutRuntimeLayer extends AbstractLayer<AbstractDropout> {

    /** The shape and type of the last forward pass's input; {@code null} before any, and after {@link #clear()}. */
    private long[] forwardShape;
    private DataType forwardType;
    /** Whether the last forward pass dropped anything (training, p > 0, non-empty input). */
    private boolean masked;
    /** The drop probability of the last forward pass (schedules move it between passes). */
    private double maskP;
    private long maskKey;
    private int[] maskAxes;
    /** Set by {@link McDropout} for the duration of one call: drop in evaluation passes as in training. */
    private boolean sampling;

    DropoutRuntimeLayer(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        forwardShape = input.shape();
        forwardType = input.dataType();
        AbstractDropout config = layerConf();
        boolean drops = training || config.isMonteCarlo() || sampling;
        double p = drops ? config.probabilityAt(getIterationCount(), getEpochCount()) : 0;
        masked = p != 0 && !input.isEmpty();
        if (!masked) {
            return passOn(training, workspaceMgr);
        }
        maskAxes = config.maskAxes(input.shape());
        maskP = p;
        maskKey = p == 1 ? 0 : DropoutKernel.newKey();
        boolean writeInPlace = config.isInplace() && inputModificationAllowed && !isFromOutside(workspaceMgr);
        INDArray out = writeInPlace ? input : DropoutKernel.emptyLike(input, (shape, order) ->
                workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, input.dataType(), shape, order));
        DropoutKernel.forward(input, out, p, config.alpha(), maskAxes, maskKey);
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, out);
    }

    /**
     * Whether the input comes from outside the network's memory: activations live in workspaces but the input
     * is in none. That is the network's own features, handed on by a pass-through layer (ours at p = 0 is
     * covered by {@link #passOn}, DL4J's own are not): never to be modified, nor returned as an activation,
     * which DL4J rejects there. (Without workspaces nothing tells them apart; DL4J's own permission rules hold.)
     */
    private boolean isFromOutside(LayerWorkspaceMgr workspaceMgr) {
        return !input.isAttached() && !workspaceMgr.isScopedOut(ArrayType.ACTIVATIONS);
    }

    /**
     * The identity's output: the input itself, or a copy where handing the input on is not safe: an input from
     * outside the network's workspaces ({@link #isFromOutside}), and in training, where DL4J does not let this
     * layer modify its input (layer 0, a ComputationGraph), because the next layer might be allowed to modify
     * ours in place (our {@code inplace}, DL4J's {@code dropOut}): it must not be the features or a shared
     * activation.
     */
    private INDArray passOn(boolean training, LayerWorkspaceMgr workspaceMgr) {
        if (isFromOutside(workspaceMgr) || training && !inputModificationAllowed) {
            return workspaceMgr.dup(ArrayType.ACTIVATIONS, input);
        }
        return workspaceMgr.leverageTo(ArrayType.ACTIVATIONS, input);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        checkMatchesForwardPass(epsilon);
        INDArray gradIn = DropoutKernel.emptyLike(input, (shape, order) ->
                workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, epsilon.dataType(), shape, order));
        if (masked) {
            DropoutKernel.backward(epsilon, gradIn, maskP, layerConf().alpha(), maskAxes, maskKey);
        } else {
            gradIn.assign(epsilon);
        }
        return new Pair<>(new DefaultGradient(), gradIn);
    }

    /**
     * Takes DL4J's permission to modify the input, except from a {@link ComputationGraph}: it grants it to the
     * last of several layers that read one activation, while the earlier ones still hold that array for their
     * own backprop, and a layer cannot tell that case from the safe one.
     */
    @Override
    public void allowInputModification(boolean allow) {
        super.allowInputModification(allow && !calledFromComputationGraph());
    }

    /**
     * Backprop needs the forward pass's mask: an epsilon of another shape or type than that pass's input, or no
     * forward pass since construction or {@link #clear()}, fails before anything is written (DL4J's own layers
     * fail there too). Any memory order is fine: the mask is applied by index.
     */
    private void checkMatchesForwardPass(INDArray epsilon) {
        if (forwardShape == null) {
            throw new IllegalStateException(describe() + ": backprop without a forward pass since the layer was "
                    + "created or cleared");
        }
        if (!Arrays.equals(epsilon.shape(), forwardShape)) {
            throw new IllegalArgumentException(describe() + ": epsilon of shape " + Arrays.toString(epsilon.shape())
                    + " does not match the forward pass's input of shape " + Arrays.toString(forwardShape));
        }
        if (epsilon.dataType() != forwardType) {
            throw new IllegalArgumentException(describe() + ": epsilon of type " + epsilon.dataType()
                    + " does not match the forward pass's input of type " + forwardType);
        }
    }

    private static boolean calledFromComputationGraph() {
        return StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
                .walk(frames -> frames.anyMatch(f -> ComputationGraph.class.isAssignableFrom(f.getDeclaringClass())));
    }

    /** This layer for messages, e.g. {@code Dropout layer "drop" (layer 2)}. */
    private String describe() {
        return layerConf().name() + " (layer " + getIndex() + ")";
    }

    /** Switches Monte Carlo sampling on or off; switching it off also forgets the last pass's mask. */
    void setSampling(boolean sampling) {
        this.sampling = sampling;
        if (!sampling) {
            forgetMask();
        }
    }

    /** Whether {@link McDropout} has switched this layer on. */
    boolean isSampling() {
        return sampling;
    }

    /** Whether the last forward pass left a mask for backprop. */
    boolean hasMask() {
        return masked;
    }

    @Override
    public void clear() {
        super.clear();
        forgetMask();
    }

    private void forgetMask() {
        masked = false;
        maskAxes = null;
        forwardShape = null;
        forwardType = null;
    }

    @Override
    public double calcRegularizationScore(boolean backpropParamsOnly) {
        return 0;
    }

    @Override
    public Type type() {
        return Type.FEED_FORWARD;
    }

    @Override
    public boolean isPretrainLayer() {
        return false;
    }

    @Override
    public void clearNoiseWeightParams() {
        // no weight noise in a parameterless layer
    }

    @Override
    public INDArray params() {
        return null;
    }
}
