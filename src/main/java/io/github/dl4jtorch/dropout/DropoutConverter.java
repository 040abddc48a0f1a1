package io.github.dl4jtorch.dropout;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Updater;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.DataFormat;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Cnn3DLossLayer;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution3D;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.RnnLossLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.SpaceToBatchLayer;
import org.deeplearning4j.nn.conf.layers.SpaceToDepthLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling1DLayer;
import org.deeplearning4j.nn.conf.layers.Subsampling3DLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.Upsampling3D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.conf.layers.recurrent.TimeDistributed;
import org.deeplearning4j.nn.conf.layers.util.MaskLayer;
import org.deeplearning4j.nn.conf.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Converts existing DL4J configurations and networks, including models imported from Keras, from DL4J's dropout to
 * this library's: a copy in which DL4J's retain-probability dropout becomes PyTorch's drop probability
 * {@code p = 1 - retain}, and DL4J's {@code SpatialDropout} drops channels on the axis the data format puts them on,
 * where DL4J always takes axis 1 (rows of H, not channels, after a channels-last convolution).
 *
 * <p><b>What is converted.</b> DL4J's {@code DropoutLayer} holding one of DL4J's {@code Dropout},
 * {@code SpatialDropout} or {@code AlphaDropout} (those exact classes) becomes the matching layer of this library,
 * with the same layer name: {@link Dropout}; {@link Dropout1d}, {@link Dropout2d} or {@link Dropout3d} with the data
 * format found (below); {@link AlphaDropout}. Every other layer's {@code IDropout} of those three kinds, set with
 * {@code .dropOut(...)} on the layer or network-wide, becomes a {@link TorchDropout} of the same variant; so does the
 * {@code IDropout} of a layer inside {@code FrozenLayer}, {@code Bidirectional} or another wrapper (a
 * {@code DropoutLayer} included). Layer order and parameters are unchanged: a network built from the copy takes the
 * original's parameters and updater state ({@link #toTorch(MultiLayerNetwork)}). The copy is made through DL4J's
 * JSON form, as a saved and reloaded model is, so it shares nothing with the argument.
 *
 * <p><b>What is kept as it is:</b> dropout whose retain probability follows a schedule (DL4J's schedule is of the
 * retain probability, this library's of the drop probability); {@code AlphaDropout} with constants other than SELU's
 * defaults; {@code GaussianDropout}, {@code GaussianNoise}, subclasses of the three classes and any other
 * {@code IDropout}; a {@code SpatialDropout} whose data format cannot be found; a {@code DropoutLayer} without
 * dropout. Kept objects are copies too.
 *
 * <p><b>Data format of a {@code SpatialDropout}</b>, i.e. of the activations it receives, in this order:
 * <ol>
 * <li>the format the layer itself states, for a layer's own dropout (a convolution's input is in its format);</li>
 * <li>else the format of the nearest layer before it that states one, walking back through layers that keep the
 * layout ({@code DropoutLayer}, {@code ActivationLayer}, {@code BatchNormalization}, {@code MaskLayer}, this
 * library's layers, frozen layers of these) and, in a graph, through element-wise, merge, scale and shift vertices
 * to their inputs; a preprocessor or any other layer or vertex ends the walk. Layers that state a format: convolution
 * ({@code ConvolutionLayer} and its 2-D subclasses, {@code Convolution1DLayer}, {@code Convolution3D},
 * {@code Deconvolution3D}), subsampling ({@code SubsamplingLayer}, {@code Subsampling1DLayer},
 * {@code Subsampling3DLayer}), {@code Upsampling2D/3D}, {@code ZeroPaddingLayer}, {@code Cropping2D},
 * {@code SpaceToDepthLayer}, {@code SpaceToBatchLayer}, {@code LocalResponseNormalization}, the recurrent layers,
 * {@code Bidirectional}, {@code TimeDistributed}, {@code RnnOutputLayer}, {@code RnnLossLayer},
 * {@code CnnLossLayer}, {@code Cnn3DLossLayer}, and this library's channel-wise layers. A layer of one of these
 * kinds without a format set runs channels-first in DL4J, and counts as such;</li>
 * <li>else the format that the network's input types, when given ({@code toTorch(conf, inputType)}), carry to that
 * point: DL4J 1.0.0-M2.1 does not store the input types in a built configuration.</li>
 * </ol>
 * The format's family chooses the layer: {@code RNNFormat} -> {@link Dropout1d}, {@code CNN2DFormat} ->
 * {@link Dropout2d}, {@code Convolution3D.DataFormat} -> {@link Dropout3d}. With none found, neither the rank nor the
 * channel axis is known, and the {@code SpatialDropout} is kept: DL4J's takes axis 1, right for channels-first input
 * of any rank, while this library has no non-alpha channel-wise variant for an unknown rank.
 *
 * <p><b>Probabilities.</b> {@code p} is the shortest decimal whose complement {@code 1 - p} is exactly DL4J's
 * retain probability in double ({@code 0.8 -> p = 0.2}, not {@code 1 - 0.8 = 0.19999999999999996}), so that the
 * converted layers read as PyTorch code does and keep exactly the retain probability; where no decimal does (e.g.
 * retain 0.3), {@code 1 - retain}. A retain probability outside (0, 1] fails with the layer named. The converted
 * layers are not in place: DL4J's {@code DropoutLayer} overwrites its input in training, PyTorch's default does not.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * ComputationGraph imported = KerasModelImport.importKerasModelAndWeights("model.h5");
 * ComputationGraph torch = DropoutConverter.toTorch(imported);   // same parameters, same output(x)
 * MultiLayerConfiguration conf = DropoutConverter.toTorch(dl4jConf,
 *         InputType.convolutional(28, 28, 1, CNN2DFormat.NHWC));   // the input type, for formats no layer states
 * }</pre>
 */
public final class DropoutConverter {

    private DropoutConverter() {
    }

    /**
     * A converted copy of {@code conf}; {@code conf} itself is not modified.
     *
     * @throws IllegalArgumentException if a retain probability to convert lies outside (0, 1]
     */
    public static MultiLayerConfiguration toTorch(MultiLayerConfiguration conf) {
        return toTorch(conf, null);
    }

    /**
     * A converted copy of {@code conf}, with the data format of a {@code SpatialDropout} that no layer states taken
     * from {@code inputType}; {@code conf} itself is not modified.
     *
     * @param inputType the network's input type, as given to {@code setInputType} when {@code conf} was built, or
     *                  {@code null} if unknown
     * @throws IllegalArgumentException if a retain probability to convert lies outside (0, 1]; an input type that
     *                                  the layers do not take fails with DL4J's exception for it
     */
    public static MultiLayerConfiguration toTorch(MultiLayerConfiguration conf, InputType inputType) {
        Wiring wiring = Wiring.of(conf, inputType);
        MultiLayerConfiguration copy = MultiLayerConfiguration.fromJson(conf.toJson());
        for (int i = 0; i < copy.getConfs().size(); i++) {
            Layer layer = conf.getConf(i).getLayer();
            String name = String.valueOf(i);
            NeuralNetConfiguration layerCopy = copy.getConf(i);
            layerCopy.setLayer(convert(layer, layerCopy.getLayer(), () -> wiring.formatEntering(name),
                    "layer " + i + nameSuffix(layer)));
        }
        return copy;
    }

    /**
     * A converted copy of {@code conf}; {@code conf} itself is not modified.
     *
     * @param inputTypes the network's input types, as given to {@code setInputTypes} when {@code conf} was built,
     *                   for the data format of a {@code SpatialDropout} that no layer states; none if unknown
     * @throws IllegalArgumentException if a retain probability to convert lies outside (0, 1], or if the number of
     *                                  input types differs from the number of inputs; input types that the layers do
     *                                  not take fail with DL4J's exception for them
     */
    public static ComputationGraphConfiguration toTorch(ComputationGraphConfiguration conf, InputType... inputTypes) {
        Wiring wiring = Wiring.of(conf, inputTypes);
        ComputationGraphConfiguration copy = ComputationGraphConfiguration.fromJson(conf.toJson());
        copy.getVertices().forEach((name, vertex) -> {
            if (vertex instanceof LayerVertex layerVertex) {
                Layer layer = ((LayerVertex) conf.getVertices().get(name)).getLayerConf().getLayer();
                NeuralNetConfiguration layerCopy = layerVertex.getLayerConf();
                layerCopy.setLayer(convert(layer, layerCopy.getLayer(), () -> wiring.formatEntering(name),
                        "vertex \"" + name + "\""));
            }
        });
        return copy;
    }

    /**
     * A new network built from the converted configuration of {@code network}, with copies of its parameters and of
     * its updater state (when it has one), so that {@code output(x)} is the same; listeners are not copied.
     * {@code network} itself is not modified.
     *
     * @throws IllegalStateException if {@code network} has not been initialised ({@code init()})
     */
    public static MultiLayerNetwork toTorch(MultiLayerNetwork network) {
        return toTorch(network, null);
    }

    /**
     * As {@link #toTorch(MultiLayerNetwork)}, with the network's input type for formats that no layer states (see
     * {@link #toTorch(MultiLayerConfiguration, InputType)}).
     */
    public static MultiLayerNetwork toTorch(MultiLayerNetwork network, InputType inputType) {
        requireInitialised(network.getLayers() != null);
        MultiLayerNetwork converted = new MultiLayerNetwork(toTorch(network.getLayerWiseConfigurations(), inputType));
        converted.init(network.params().dup(), false);
        Updater updater = network.getUpdater(false);
        INDArray state = updater == null ? null : updater.getStateViewArray();
        if (state != null) {
            converted.getUpdater().setStateViewArray(converted, state, false); // copies
        }
        return converted;
    }

    /**
     * A new graph built from the converted configuration of {@code network}, with copies of its parameters and of
     * its updater state (when it has one), so that {@code output(x)} is the same; listeners are not copied.
     * {@code network} itself is not modified.
     *
     * @param inputTypes the graph's input types for formats that no layer states; none if unknown
     * @throws IllegalStateException if {@code network} has not been initialised ({@code init()})
     */
    public static ComputationGraph toTorch(ComputationGraph network, InputType... inputTypes) {
        requireInitialised(network.getLayers() != null);
        ComputationGraph converted = new ComputationGraph(toTorch(network.getConfiguration(), inputTypes));
        converted.init(network.params().dup(), false);
        ComputationGraphUpdater updater = network.getUpdater(false);
        INDArray state = updater == null ? null : updater.getStateViewArray();
        if (state != null) {
            converted.getUpdater().setStateViewArray(state); // copies
        }
        return converted;
    }

    private static void requireInitialised(boolean initialised) {
        if (!initialised) {
            throw new IllegalStateException("the network is not initialised, so it has no parameters to copy: call "
                    + "init() first, or convert its configuration");
        }
    }

    private static String nameSuffix(Layer layer) {
        return layer.getLayerName() == null ? "" : " (\"" + layer.getLayerName() + "\")";
    }

    /**
     * What the copy holds in place of {@code layer}: the layer of this library replacing it, or {@code copy} (DL4J's
     * JSON copy of {@code layer}) with the dropouts converted.
     */
    private static Layer convert(Layer layer, Layer copy, Supplier<DataFormat> formatEntering, String where) {
        if (layer instanceof DropoutLayer) {
            AbstractDropout replacement = equivalent(layer.getIDropout(), formatEntering, where);
            if (replacement != null) {
                replacement.setLayerName(layer.getLayerName());
                return replacement;
            }
        }
        convertIDropouts(layer, copy, formatEntering, where);
        return copy;
    }

    /**
     * Gives {@code copy}, and the layers it wraps (they receive its input), the converted dropout of {@code layer}
     * and of the layers it wraps, or the dropout kept. A kept dropout is the one in the JSON copy, unless DL4J's JSON
     * does not reproduce it (it loses the schedule of DL4J's {@code AlphaDropout}): then a clone.
     */
    private static void convertIDropouts(Layer layer, Layer copy, Supplier<DataFormat> formatEntering, String where) {
        Supplier<DataFormat> format = () -> {
            DataFormat stated = statedFormat(layer);
            return stated != null ? stated : formatEntering.get();
        };
        IDropout dropout = layer.getIDropout();
        AbstractDropout equivalent = equivalent(dropout, format, where);
        if (equivalent != null) {
            copy.setIDropout(TorchDropout.from(equivalent));
        } else if (dropout != null && !dropout.equals(copy.getIDropout())) {
            copy.setIDropout(dropout.clone());
        }
        List<Layer> inner = wrapped(layer);
        List<Layer> innerCopies = wrapped(copy);
        for (int i = 0; i < inner.size(); i++) {
            convertIDropouts(inner.get(i), innerCopies.get(i), format, where);
        }
    }

    private static List<Layer> wrapped(Layer layer) {
        if (layer instanceof FrozenLayer frozen) {
            return List.of(frozen.getLayer());
        }
        if (layer instanceof BaseWrapperLayer wrapper) {
            return List.of(wrapper.getUnderlying());
        }
        if (layer instanceof Bidirectional bidirectional) {
            return List.of(bidirectional.getFwd(), bidirectional.getBwd());
        }
        return List.of();
    }

    /**
     * This library's layer doing what DL4J's {@code dropout} does, or {@code null} to keep {@code dropout}.
     *
     * @param format the data format of the activations {@code dropout} receives, {@code null} if unknown
     */
    private static AbstractDropout equivalent(IDropout dropout, Supplier<DataFormat> format, String where) {
        if (dropout == null) {
            return null;
        }
        if (dropout.getClass() == org.deeplearning4j.nn.conf.dropout.Dropout.class) {
            var dl4j = (org.deeplearning4j.nn.conf.dropout.Dropout) dropout;
            return dl4j.getPSchedule() != null ? null : new Dropout(dropProbability(dl4j.getP(), where));
        }
        if (dropout.getClass() == org.deeplearning4j.nn.conf.dropout.AlphaDropout.class) {
            var dl4j = (org.deeplearning4j.nn.conf.dropout.AlphaDropout) dropout;
            boolean selu = dl4j.getAlpha() == org.deeplearning4j.nn.conf.dropout.AlphaDropout.DEFAULT_ALPHA
                    && dl4j.getLambda() == org.deeplearning4j.nn.conf.dropout.AlphaDropout.DEFAULT_LAMBDA;
            return dl4j.getPSchedule() != null || !selu ? null : new AlphaDropout(dropProbability(dl4j.getP(), where));
        }
        if (dropout.getClass() == SpatialDropout.class) {
            var dl4j = (SpatialDropout) dropout;
            DataFormat found = dl4j.getPSchedule() != null ? null : format.get();
            return found == null ? null : channelDropout(found, dropProbability(dl4j.getP(), where));
        }
        return null;
    }

    /** Dropout1d, Dropout2d or Dropout3d, by the family of {@code format}. */
    private static AbstractChannelDropout channelDropout(DataFormat format, double p) {
        AbstractChannelDropout.Builder<?> builder = format instanceof RNNFormat ? new Dropout1d.Builder()
                : format instanceof CNN2DFormat ? new Dropout2d.Builder() : new Dropout3d.Builder();
        return builder.format(format).p(p).build();
    }

    /**
     * {@code 1 - retainProbability}, as the shortest decimal whose complement is exactly {@code retainProbability}
     * (0.8 gives 0.2), or {@code 1 - retainProbability} itself where no decimal is.
     */
    static double dropProbability(double retainProbability, String where) {
        if (!(retainProbability > 0 && retainProbability <= 1)) {
            throw new IllegalArgumentException(where + ": DL4J's retain probability " + retainProbability
                    + " lies outside (0, 1]: there is no drop probability to convert it to");
        }
        double p = 1 - retainProbability;
        for (int digits = 1; digits < 17; digits++) {
            double shorter = new BigDecimal(p).round(new MathContext(digits)).doubleValue();
            if (1 - shorter == retainProbability) {
                return shorter;
            }
        }
        return p;
    }

    /**
     * The data format in which {@code layer} takes its input and gives its output, when it states one; for a layer
     * of a kind that runs channels-first when its format is unset, channels-first. {@code null} for any other layer.
     */
    static DataFormat statedFormat(Layer layer) {
        if (layer instanceof AbstractChannelDropout channelDropout) {
            return channelDropout.getDataFormat();
        }
        if (isFrozen(layer)) {
            return statedFormat(wrapped(layer).get(0));
        }
        if (layer instanceof Subsampling1DLayer subsampling) { // a 2-D format standing for the 1-D one
            return subsampling.getCnn2dDataFormat() == CNN2DFormat.NHWC ? RNNFormat.NWC : RNNFormat.NCW;
        }
        if (layer instanceof Convolution1DLayer convolution) {
            return orNcw(convolution.getRnnDataFormat());
        }
        if (layer instanceof Convolution3D convolution) {
            return orNcdhw(convolution.getDataFormat());
        }
        if (layer instanceof Deconvolution3D deconvolution) {
            return orNcdhw(deconvolution.getDataFormat());
        }
        if (layer instanceof ConvolutionLayer convolution) {
            return orNchw(convolution.getCnn2dDataFormat());
        }
        if (layer instanceof SubsamplingLayer subsampling) {
            return orNchw(subsampling.getCnn2dDataFormat());
        }
        if (layer instanceof Subsampling3DLayer subsampling) {
            return orNcdhw(subsampling.getDataFormat());
        }
        if (layer instanceof Upsampling2D upsampling) {
            return orNchw(upsampling.getFormat());
        }
        if (layer instanceof Upsampling3D upsampling) {
            return orNcdhw(upsampling.getDataFormat());
        }
        if (layer instanceof ZeroPaddingLayer padding) {
            return orNchw(padding.getDataFormat());
        }
        if (layer instanceof Cropping2D cropping) {
            return orNchw(cropping.getDataFormat());
        }
        if (layer instanceof SpaceToDepthLayer spaceToDepth) {
            return orNchw(spaceToDepth.getDataFormat());
        }
        if (layer instanceof SpaceToBatchLayer spaceToBatch) {
            return orNchw(spaceToBatch.getFormat());
        }
        if (layer instanceof LocalResponseNormalization normalization) {
            return orNchw(normalization.getDataFormat());
        }
        if (layer instanceof CnnLossLayer loss) {
            return orNchw(loss.getFormat());
        }
        if (layer instanceof Cnn3DLossLayer loss) {
            return orNcdhw(loss.getDataFormat());
        }
        if (layer instanceof BaseRecurrentLayer recurrent) {
            return orNcw(recurrent.getRnnDataFormat());
        }
        if (layer instanceof Bidirectional bidirectional) {
            return orNcw(bidirectional.getRNNDataFormat());
        }
        if (layer instanceof TimeDistributed timeDistributed) {
            return orNcw(timeDistributed.getRnnDataFormat());
        }
        if (layer instanceof RnnOutputLayer output) {
            return orNcw(output.getRnnDataFormat());
        }
        if (layer instanceof RnnLossLayer loss) {
            return orNcw(loss.getRnnDataFormat());
        }
        return null;
    }

    private static DataFormat orNcw(RNNFormat format) {
        return format == null ? RNNFormat.NCW : format;
    }

    private static DataFormat orNchw(CNN2DFormat format) {
        return format == null ? CNN2DFormat.NCHW : format;
    }

    private static DataFormat orNcdhw(Convolution3D.DataFormat format) {
        return format == null ? Convolution3D.DataFormat.NCDHW : format;
    }

    private static boolean isFrozen(Layer layer) {
        return layer instanceof FrozenLayer || layer instanceof FrozenLayerWithBackprop;
    }

    /** Whether {@code layer} gives its output in the layout of its input, stating no format of its own. */
    private static boolean keepsLayout(Layer layer) {
        return layer instanceof DropoutLayer || layer instanceof ActivationLayer || layer instanceof BatchNormalization
                || layer instanceof MaskLayer || layer instanceof AbstractDropout
                || isFrozen(layer) && keepsLayout(wrapped(layer).get(0));
    }

    /** Whether {@code vertex} gives its output in the layout of its inputs. */
    private static boolean keepsLayout(GraphVertex vertex) {
        return vertex instanceof ElementWiseVertex || vertex instanceof MergeVertex || vertex instanceof ScaleVertex
                || vertex instanceof ShiftVertex;
    }

    /** A layer or vertex of a network, with the names of the nodes feeding it. */
    private record Node(Layer layer, InputPreProcessor preProcessor, boolean keepsLayout, List<String> inputs) {
    }

    /**
     * What the format search reads of a network: its layers and vertices by name (a name without a node is a
     * network input) and, when the input types are known, the type of the activations leaving each of them.
     */
    private static final class Wiring {

        private final Map<String, Node> nodes;
        private final Map<String, InputType> typesLeaving;
        private final Map<String, DataFormat> formatsLeaving = new HashMap<>();

        private Wiring(Map<String, Node> nodes, Map<String, InputType> typesLeaving) {
            this.nodes = nodes;
            this.typesLeaving = typesLeaving;
        }

        /** Node "i" is layer i, fed by node "i-1"; "-1" is the network input. */
        static Wiring of(MultiLayerConfiguration conf, InputType inputType) {
            List<InputType> leaving = inputType == null ? null : conf.getLayerActivationTypes(inputType);
            Map<String, Node> nodes = new HashMap<>();
            Map<String, InputType> types = new HashMap<>();
            types.put("-1", inputType);
            for (int i = 0; i < conf.getConfs().size(); i++) {
                Layer layer = conf.getConf(i).getLayer();
                nodes.put(String.valueOf(i), new Node(layer, conf.getInputPreProcess(i), keepsLayout(layer),
                        List.of(String.valueOf(i - 1))));
                types.put(String.valueOf(i), leaving == null ? null : leaving.get(i));
            }
            return new Wiring(nodes, types);
        }

        static Wiring of(ComputationGraphConfiguration conf, InputType... inputTypes) {
            Map<String, Node> nodes = new HashMap<>();
            conf.getVertices().forEach((name, vertex) -> {
                List<String> inputs = conf.getVertexInputs().getOrDefault(name, List.of());
                Layer layer = vertex instanceof LayerVertex layerVertex ? layerVertex.getLayerConf().getLayer() : null;
                nodes.put(name, layer == null ? new Node(null, null, keepsLayout(vertex), inputs)
                        : new Node(layer, ((LayerVertex) vertex).getPreProcessor(), keepsLayout(layer), inputs));
            });
            // DL4J works the types out by adding preprocessors to the configuration and setting nIn: on a copy, then.
            Map<String, InputType> types = inputTypes.length == 0 ? Map.of()
                    : ComputationGraphConfiguration.fromJson(conf.toJson())
                            .getLayerActivationTypes(true, false, inputTypes);
            return new Wiring(nodes, types);
        }

        /** The format of the activations entering the layer of node {@code name}, after its preprocessor, or null. */
        DataFormat formatEntering(String name) {
            Node node = nodes.get(name);
            DataFormat walked = walkBack(node);
            return walked != null ? walked : AbstractChannelDropout.formatCarriedBy(typeEntering(node));
        }

        /** The format the node's layer states, else the one its inputs bring when nothing on the way changes it. */
        private DataFormat walkBack(Node node) {
            DataFormat stated = statedFormat(node.layer());
            if (stated != null || node.preProcessor() != null) {
                return stated;
            }
            for (String input : node.inputs()) {
                DataFormat format = formatLeaving(input);
                if (format != null) {
                    return format;
                }
            }
            return null;
        }

        /** Memoised: in a graph, many paths may lead back to one node. */
        private DataFormat formatLeaving(String name) {
            if (!formatsLeaving.containsKey(name)) {
                Node node = nodes.get(name);
                boolean known = node != null && (node.keepsLayout() || statedFormat(node.layer()) != null);
                formatsLeaving.put(name, known ? walkBack(node) : null);
            }
            return formatsLeaving.get(name);
        }

        private InputType typeEntering(Node node) {
            InputType leaving = node.inputs().isEmpty() ? null : typesLeaving.get(node.inputs().get(0));
            InputPreProcessor preProcessor = node.preProcessor();
            return leaving == null || preProcessor == null ? leaving : preProcessor.getOutputType(leaving);
        }
    }
}
