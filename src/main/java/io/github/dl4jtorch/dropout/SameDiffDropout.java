package io.github.dl4jtorch.dropout;

import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.autodiff.samediff.transform.GraphTransformUtil;
import org.nd4j.autodiff.samediff.transform.OpPredicate;
import org.nd4j.autodiff.samediff.transform.SubGraphPredicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.random.impl.DropOut;
import org.nd4j.linalg.api.ops.random.impl.DropOutInverted;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch's dropout family in a SameDiff graph, trainable: any of the six layer configurations ({@link Dropout},
 * {@link Dropout1d}, {@link Dropout2d}, {@link Dropout3d}, {@link AlphaDropout}, {@link FeatureAlphaDropout}) applied
 * to a graph variable, with the configuration's {@code p} (the probability of <em>zeroing</em>), mask shape (shared
 * axes, channels on the data format's axis) and alpha constants. SameDiff's own {@code sd.nn.dropout} and
 * {@code dropoutInverted} take a retain probability, have no gradient in 1.0.0-M2.1 and no evaluation mode.
 *
 * <p>A BOOL scalar, the training switch, makes the dropout the identity when false: {@link #trainingSwitch} gives the
 * graph one (a constant, false until {@link #setTraining} says otherwise, so {@code sd.fit}, which feeds only the
 * data set's placeholders, sees it too); a BOOL placeholder of the user's works as well. Layers built with
 * {@code monteCarlo(true)} drop whatever the switch says; {@code inplace} has no effect (SameDiff ops allocate).
 *
 * <p>In training, kept elements are {@code x * 1/(1-p)} and dropped ones {@code x * 0}; alpha dropout gives
 * {@code x * a + alpha*a*p} and {@code x * 0 - alpha*a*(1-p)}; at {@code p = 1}, {@code x * 0}. The constants are
 * {@link DropoutKernel.Factors}, rounded to the input's type as PyTorch rounds them, and every product and sum is
 * one ND4J op rounded to that type: the values are PyTorch's bit for bit. The gradient is {@code dy} times the same
 * factor, through SameDiff's own differentiation of the multiplication. In evaluation the output is {@code x * 1}
 * (alpha: {@code x * 1 + -0.0}): {@code x} bit for bit.
 *
 * <p><b>Masks.</b> The mask, of a shape computed from the input's at run time (any batch size), is drawn by ND4J's
 * legacy {@code dropout} op on an array of ones (each lane kept, as 1, with probability {@code 1-p}) and broadcast
 * over the axes it shares. That op draws from ND4J's generator, so {@code Nd4j.getRandom().setSeed(s)} before a call
 * reproduces its masks and consecutive calls draw new ones. SameDiff's custom random ops ({@code random_bernoulli},
 * {@code randomuniform}) are of no use here: in 1.0.0-M2.1 they draw the same values at every call of a graph,
 * whatever the seed. The masks are not those {@link DropoutKernel} draws for the layers: ND4J 1.0.0-M2.1 runs every
 * op of a graph natively, found by its name (its executioner has no hook for an op implemented in Java, and there is
 * no registry of user-defined ops), so no graph op can call the kernel, and the kernel's masks, drawn on the host from
 * a 64-bit key, cannot be rebuilt from ND4J ops. The constants and the arithmetic are the kernel's.
 *
 * <p><b>Args:</b> {@code sd} – the graph; {@code name} – the output's name, or {@code null}; {@code x} – a
 * floating-point variable (any type when {@code p} is 0 or 1); {@code variant} – one of the six configurations, with
 * a fixed {@code p} (SameDiff ops cannot follow a schedule: no iteration count reaches them); {@code training} – a
 * BOOL scalar.
 *
 * <p><b>Shape:</b> what the variant takes; the output has the input's shape. Channel-wise variants find the channel
 * axis from their data format (axis 1 without one) at run time, so they take op outputs, whose shapes SameDiff
 * 1.0.0-M2.1 does not know while the graph is built; the rank is checked then only for inputs of known shape
 * (placeholders, variables, constants). {@code Dropout} with shared axes needs such an input.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * SameDiff sd = SameDiff.create();
 * SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 784);
 * SDVariable training = SameDiffDropout.trainingSwitch(sd);
 * SDVariable hidden = sd.nn.relu(in.mmul(w0).add(b0), 0);
 * SDVariable dropped = SameDiffDropout.apply(sd, hidden, new Dropout(0.2), training);   // nn.Dropout(p=0.2)
 * ...
 * SameDiffDropout.setTraining(sd, true);      // model.train()
 * sd.fit(trainData, 5);
 * SameDiffDropout.setTraining(sd, false);     // model.eval()
 * }</pre>
 *
 * <p><b>ONNX.</b> {@link #replaceImported} fixes the dropout of graphs imported by ND4J's ONNX importer.
 */
public final class SameDiffDropout {

    /** The name of the graph's {@linkplain #trainingSwitch(SameDiff) training switch}. */
    public static final String TRAINING_SWITCH = "dropout_training";

    private SameDiffDropout() {
    }

    /**
     * The graph's training switch: the BOOL scalar constant {@value #TRAINING_SWITCH}, created false (evaluation) on
     * the first call. Constants, unlike placeholders, need no value in {@code sd.fit}, and
     * {@link #setTraining(SameDiff, boolean)} changes it for every later call, training included.
     *
     * @throws IllegalStateException if the graph has a variable of that name that is not a BOOL scalar constant
     */
    public static SDVariable trainingSwitch(SameDiff sd) {
        if (!sd.hasVariable(TRAINING_SWITCH)) {
            return sd.constant(TRAINING_SWITCH, Nd4j.scalar(false));
        }
        SDVariable existing = sd.getVariable(TRAINING_SWITCH);
        if (existing.getVariableType() != VariableType.CONSTANT || existing.dataType() != DataType.BOOL
                || existing.getArr().rank() != 0) {
            throw new IllegalStateException("the graph's variable \"" + TRAINING_SWITCH + "\" is a "
                    + existing.getVariableType() + " of type " + existing.dataType() + ", not the BOOL scalar constant "
                    + "of SameDiffDropout's training switch");
        }
        return existing;
    }

    /**
     * Sets the graph's {@linkplain #trainingSwitch(SameDiff) training switch}, creating it if needed: {@code true}
     * before {@code sd.fit} (PyTorch's {@code model.train()}), {@code false} for evaluation ({@code model.eval()}).
     */
    public static void setTraining(SameDiff sd, boolean training) {
        trainingSwitch(sd).getArr().assign(training);
    }

    /** {@link #apply(SameDiff, String, SDVariable, AbstractDropout, SDVariable)} with a name SameDiff chooses. */
    public static SDVariable apply(SameDiff sd, SDVariable x, AbstractDropout variant, SDVariable training) {
        return apply(sd, null, x, variant, training);
    }

    /**
     * Adds {@code variant}'s dropout of {@code x} to {@code sd}: PyTorch's values in training, the identity when
     * {@code training} is false. See the class description.
     *
     * @return the output; {@code x} itself when {@code p == 0} and {@code name} is {@code null}
     * @throws IllegalArgumentException if the variant has a p schedule, {@code training} is not BOOL, {@code x} is not
     *                                  of a floating type while {@code 0 < p < 1}, or {@code x}'s known rank does not
     *                                  fit the variant (the layers' message)
     */
    public static SDVariable apply(SameDiff sd, String name, SDVariable x, AbstractDropout variant,
                                   SDVariable training) {
        Objects.requireNonNull(sd, "sd");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(training, "training");
        if (variant.getPSchedule() != null) {
            throw new IllegalArgumentException(variant + ": SameDiff ops cannot follow a p schedule (no iteration "
                    + "count reaches them); give a fixed p");
        }
        if (training.dataType() != DataType.BOOL) {
            throw new IllegalArgumentException("the training switch \"" + training.name() + "\" must be a BOOL scalar, "
                    + "not " + training.dataType());
        }
        double p = variant.getP();
        DataType type = x.dataType();
        if (p > 0 && p < 1 && !type.isFPType()) {
            throw new IllegalArgumentException(variant + " takes floating-point input, but \"" + x.name() + "\" is "
                    + type);
        }
        if (p == 0) {
            return name == null ? x : sd.updateVariableNameAndReference(sd.identity(x), name);
        }
        SDVariable mode = (variant.isMonteCarlo() ? sd.constant(true) : training).castTo(DataType.INT);
        SDVariable y = p == 1 ? x.mul(byMode(sd, mode, type, 1, 0)) : drop(sd, x, variant, mode);
        return name == null ? y : sd.updateVariableNameAndReference(y, name);
    }

    /** Dropout with 0 < p < 1; {@code mode}: 0 in evaluation, 1 in training. */
    private static SDVariable drop(SameDiff sd, SDVariable x, AbstractDropout variant, SDVariable mode) {
        DataType type = x.dataType();
        DropoutKernel.Factors factors = DropoutKernel.Factors.of(variant.getP(), variant.alpha(), type);
        // ND4J's legacy dropout keeps a lane with probability 1 - p as it is (1), else writes 0; in float.
        SDVariable ones = sd.fill(maskShape(sd, x, variant), DataType.FLOAT, 1);
        SDVariable drawn = new DropOut(sd, ones, 1 - variant.getP()).outputVariable().castTo(type);
        SDVariable keep = sd.math.max(drawn, byMode(sd, mode, type, 1, 0)); // evaluation keeps every lane
        SDVariable y = x.mul(keep.mul(byMode(sd, mode, type, 1, factors.kept())));
        if (!variant.alpha()) {
            return y;
        }
        // Exactly one term is non-zero (0 * shift is a zero); evaluation adds -0.0, which leaves any x as it is.
        SDVariable keptShift = keep.mul(byMode(sd, mode, type, -0.0, factors.keptShift()));
        return y.add(keptShift.add(keep.rsub(1).mul(factors.droppedShift())));
    }

    /** A scalar of {@code type}: {@code evaluation} when {@code mode} is 0, {@code training} when it is 1. */
    private static SDVariable byMode(SameDiff sd, SDVariable mode, DataType type, double evaluation, double training) {
        return sd.gather(sd.constant(Nd4j.createFromArray(evaluation, training).castTo(type)), mode, 0);
    }

    /**
     * The mask's shape, from {@code x}'s at run time: {@code x}'s shape with the axes the mask shares set to 1.
     * Channel-wise: (N, C, 1, ..., 1) or (N, 1, ..., 1, C), sliced from the shape whatever its rank.
     */
    private static SDVariable maskShape(SameDiff sd, SDVariable x, AbstractDropout variant) {
        SDVariable shape = x.shape();
        long[] known = x.getShape();
        if (variant instanceof AbstractChannelDropout channelWise) {
            if (known != null) {
                channelWise.maskAxes(known); // the layers' rank check
            }
            SDVariable ones = sd.onesLike(shape);
            SDVariable batch = sd.stridedSlice(shape, new long[] {0}, new long[] {1}, 1);
            if (channelWise.isChannelsLast()) {
                return sd.concat(0, batch, sd.stridedSlice(ones, new long[] {1}, new long[] {-1}, 1),
                        toEnd(sd, shape, -1));
            }
            return sd.concat(0, batch, sd.stridedSlice(shape, new long[] {1}, new long[] {2}, 1), toEnd(sd, ones, 2));
        }
        if (known == null) {
            if (variant instanceof Dropout dropout && dropout.getSharedAxes() != null) {
                throw new IllegalArgumentException(variant + " needs the rank of its input to place the shared axes, "
                        + "and SameDiff does not know the shape of \"" + x.name() + "\", the output of an op; apply it "
                        + "to a placeholder or variable of known rank");
            }
            return shape; // element-wise
        }
        int[] maskAxes = variant.maskAxes(known);
        if (maskAxes == null) {
            return shape;
        }
        long[] varying = new long[known.length];
        long[] shared = new long[known.length];
        Arrays.fill(shared, 1);
        for (int axis : maskAxes) {
            varying[axis] = 1;
            shared[axis] = 0;
        }
        return shape.mul(sd.constant(Nd4j.createFromArray(varying))).add(sd.constant(Nd4j.createFromArray(shared)));
    }

    /** {@code vector[from:]}, for a vector of any length. */
    private static SDVariable toEnd(SameDiff sd, SDVariable vector, long from) {
        return sd.stridedSlice(vector, new long[] {from}, new long[] {0}, new long[] {1}, 0, 1, 0, 0, 0);
    }

    /** What {@link #replaceImported} puts in place of an imported dropout. */
    public enum Replacement {
        /** The identity: for inference, the graph then computes what the model without dropout computes. */
        IDENTITY,
        /**
         * {@link #apply} with {@code new Dropout(ratio)}, ONNX's ratio being a drop probability as here, switched by
         * the copy's {@linkplain #trainingSwitch(SameDiff) training switch}: for training the imported graph.
         */
        DROPOUT
    }

    /**
     * A copy of {@code imported}, a graph from ND4J's ONNX importer ({@code samediff-import-onnx} 1.0.0-M2.1), in which
     * every {@code dropout_inverted} op is replaced by {@code replacement}; the replacements keep the ops' output
     * names. The importer maps ONNX {@code Dropout(ratio)} to {@code dropoutInverted(x, ratio)}, whose argument is a
     * <em>retain</em> probability: {@code ratio = 0.1} keeps 10% of the values and multiplies them by 10. The op also
     * ignores ONNX's {@code training_mode} and drops at inference, has no gradient, and keeps the output shape the
     * ONNX graph declares, so a symbolic batch size gives an output of batch size 1. {@code imported} is not changed.
     *
     * @param imported    a graph that may hold {@code dropout_inverted} ops (any graph: only those are replaced)
     * @param replacement the identity, or this library's dropout under the training switch
     */
    public static SameDiff replaceImported(SameDiff imported, Replacement replacement) {
        Objects.requireNonNull(replacement, "replacement");
        Map<String, String> originalNames = new HashMap<>();
        SameDiff fixed = GraphTransformUtil.replaceSubgraphsMatching(imported,
                SubGraphPredicate.withRoot(OpPredicate.classEquals(DropOutInverted.class)), (sd, subGraph) -> {
                    SDVariable input = subGraph.inputs().get(0);
                    // Always a new variable: at ratio 0, apply returns its input.
                    double ratio = (Double) subGraph.getRootNode().propertiesForFunction().get("p");
                    SDVariable out = replacement == Replacement.IDENTITY ? sd.identity(input)
                            : sd.identity(apply(sd, input, new Dropout(ratio), trainingSwitch(sd)));
                    originalNames.put(out.name(), subGraph.outputs().get(0).name());
                    return List.of(out);
                });
        originalNames.forEach(fixed::renameVariable);
        return fixed;
    }
}
