package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.DoubleFunction;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.DataFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** Configuration of the six layers: constructors, builders, equality, cloning, formats and input types. */
class LayerConfigurationTest {

    /** How to make one of the six layers every way the API allows. */
    record Kind(String name, Supplier<AbstractDropout> noArg, DoubleFunction<AbstractDropout> withP,
                BiFunction<Double, Boolean, AbstractDropout> withPInplace,
                BiFunction<Double, Boolean, AbstractDropout> built, BiFunction<Double, String, AbstractDropout> named) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Kind> kinds() {
        return List.of(
                new Kind("Dropout", Dropout::new, Dropout::new,
                        Dropout::new,
                        (p, i) -> new Dropout.Builder().p(p).inplace(i).build(),
                        (p, n) -> new Dropout.Builder().p(p).name(n).build()),
                new Kind("Dropout1d", Dropout1d::new, Dropout1d::new, Dropout1d::new,
                        (p, i) -> new Dropout1d.Builder().p(p).inplace(i).build(),
                        (p, n) -> new Dropout1d.Builder().p(p).name(n).build()),
                new Kind("Dropout2d", Dropout2d::new, Dropout2d::new, Dropout2d::new,
                        (p, i) -> new Dropout2d.Builder().p(p).inplace(i).build(),
                        (p, n) -> new Dropout2d.Builder().p(p).name(n).build()),
                new Kind("Dropout3d", Dropout3d::new, Dropout3d::new, Dropout3d::new,
                        (p, i) -> new Dropout3d.Builder().p(p).inplace(i).build(),
                        (p, n) -> new Dropout3d.Builder().p(p).name(n).build()),
                new Kind("AlphaDropout", AlphaDropout::new, AlphaDropout::new, AlphaDropout::new,
                        (p, i) -> new AlphaDropout.Builder().p(p).inplace(i).build(),
                        (p, n) -> new AlphaDropout.Builder().p(p).name(n).build()),
                new Kind("FeatureAlphaDropout", FeatureAlphaDropout::new, FeatureAlphaDropout::new,
                        FeatureAlphaDropout::new, (p, i) -> new FeatureAlphaDropout.Builder().p(p).inplace(i).build(),
                        (p, n) -> new FeatureAlphaDropout.Builder().p(p).name(n).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void constructorsAndBuilderSetPAndInplace(Kind k) {
        AbstractDropout defaults = k.noArg().get();
        assertEquals(0.5, defaults.getP());
        assertFalse(defaults.isInplace());
        assertEquals(k.name(), defaults.getClass().getSimpleName());

        AbstractDropout withP = k.withP().apply(0.2);
        assertEquals(0.2, withP.getP());
        assertFalse(withP.isInplace());

        AbstractDropout both = k.withPInplace().apply(0.7, true);
        assertEquals(0.7, both.getP());
        assertTrue(both.isInplace());

        AbstractDropout built = k.built().apply(0.3, true);
        assertEquals(0.3, built.getP());
        assertTrue(built.isInplace());
        assertEquals(k.withPInplace().apply(0.3, true), built);

        assertEquals(0.0, k.withP().apply(0.0).getP());
        assertEquals(1.0, k.withP().apply(1.0).getP());
        assertThrows(IllegalArgumentException.class, () -> k.withP().apply(1.5));
        assertThrows(IllegalArgumentException.class, () -> k.built().apply(-0.1, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void toStringIsPyTorchsForm(Kind k) {
        assertEquals(k.name() + "(p=0.5, inplace=false)", k.noArg().get().toString());
        assertEquals(k.name() + "(p=0.2, inplace=true)", k.withPInplace().apply(0.2, true).toString());
    }

    @Test
    void toStringShowsTheDataFormat() {
        assertEquals("Dropout2d(p=0.2, inplace=true, dataFormat=NHWC)",
                new Dropout2d.Builder().p(0.2).inplace(true).dataFormat(CNN2DFormat.NHWC).build().toString());
        assertEquals("Dropout1d(p=0.5, inplace=false, dataFormat=NWC)",
                new Dropout1d.Builder().dataFormat(RNNFormat.NWC).build().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void equalsAndHashCodeCoverEveryField(Kind k) {
        AbstractDropout a = k.withPInplace().apply(0.3, true);
        AbstractDropout b = k.withPInplace().apply(0.3, true);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, k.withPInplace().apply(0.4, true));
        assertNotEquals(a, k.withPInplace().apply(0.3, false));
        assertNotEquals(a, null);
        assertNotEquals(a, "x");

        // Superclass field: the layer name.
        assertEquals(k.named().apply(0.3, "a"), k.named().apply(0.3, "a"));
        assertEquals(k.named().apply(0.3, "a").hashCode(), k.named().apply(0.3, "a").hashCode());
        assertNotEquals(k.named().apply(0.3, "a"), k.named().apply(0.3, "b"));
        assertNotEquals(k.named().apply(0.3, "a").hashCode(), k.named().apply(0.3, "b").hashCode());
    }

    @Test
    void differentLayerClassesAreNotEqual() {
        List<AbstractDropout> all = kinds().stream().map(k -> k.withPInplace().apply(0.3, false)).toList();
        for (int i = 0; i < all.size(); i++) {
            for (int j = 0; j < all.size(); j++) {
                assertEquals(i == j, all.get(i).equals(all.get(j)), all.get(i) + " vs " + all.get(j));
            }
        }
    }

    @Test
    void equalsCoversTheDataFormat() {
        assertEquals(new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build(),
                new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build());
        assertNotEquals(new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build(),
                new Dropout2d.Builder().dataFormat(CNN2DFormat.NCHW).build());
        assertNotEquals(new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build().hashCode(),
                new Dropout2d.Builder().dataFormat(CNN2DFormat.NCHW).build().hashCode());
        assertNotEquals(new FeatureAlphaDropout.Builder().dataFormat(RNNFormat.NWC).build(), new FeatureAlphaDropout());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void cloneIsEqualAndIndependent(Kind k) {
        AbstractDropout original = k.named().apply(0.3, "drop");
        AbstractDropout copy = original.clone();
        assertNotSame(original, copy);
        assertEquals(original, copy);
        assertEquals(original.getClass(), copy.getClass());
        copy.setLayerName("renamed");
        assertEquals("drop", original.getLayerName());
        assertNotEquals(original, copy);
    }

    @Test
    void builderDropOutIsUnsupported() {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> new Dropout.Builder().dropOut(0.8));
        assertTrue(e.getMessage().contains("p("), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> new Dropout2d.Builder().dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(0.8)));
        assertThrows(UnsupportedOperationException.class, () -> new AlphaDropout.Builder().dropOut(0.5));
        assertThrows(UnsupportedOperationException.class, () -> new Dropout1d.Builder().dropOut(0.5));
        assertThrows(UnsupportedOperationException.class, () -> new Dropout3d.Builder().dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(0.5)));
        assertThrows(UnsupportedOperationException.class, () -> new FeatureAlphaDropout.Builder().dropOut(0.5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void networkWideDropOutDoesNotApplyToOurLayers(Kind k) {
        InputType inputType;
        long[] shape;
        switch (k.name()) {
            case "Dropout1d" -> {
                inputType = InputType.recurrent(2, 3, RNNFormat.NCW);
                shape = new long[] {4, 2, 3};
            }
            case "Dropout3d" -> {
                inputType = InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 2, 3, 3, 2);
                shape = new long[] {4, 2, 2, 3, 3};
            }
            default -> {
                inputType = InputType.convolutional(3, 3, 2, CNN2DFormat.NCHW);
                shape = new long[] {4, 2, 3, 3};
            }
        }
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dropOut(0.5).list()
                .layer(k.withP().apply(0.0))
                .layer(new DenseLayer.Builder().nOut(4).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(inputType)
                .build();
        // DL4J copied its dropout into the Dense layer, not into ours.
        assertNull(conf.getConf(0).getLayer().getIDropout());
        assertNotNull(conf.getConf(1).getLayer().getIDropout());

        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, shape).addi(1); // no zeros
        Nd4j.getRandom().setSeed(3);
        List<INDArray> ff = net.feedForwardToLayer(0, x, true);
        assertEquals(x, ff.get(1), k + "(p=0) with a global dropOut(0.5) must be the identity in training");
    }

    @Test
    void networkWideDropOutDoesNotApplyInComputationGraph() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().dropOut(0.5).graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(4))
                .addLayer("drop", new Dropout(0.0), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(2).build(), "drop")
                .setOutputs("out").build();
        assertNull(conf.getVertices().get("drop") instanceof org.deeplearning4j.nn.conf.graph.LayerVertex lv
                ? lv.getLayerConf().getLayer().getIDropout() : "not a layer vertex");
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        INDArray x = Nd4j.rand(DataType.FLOAT, 5, 4).addi(1);
        assertEquals(x, net.feedForward(new INDArray[] {x}, 0, true).get("drop"));
    }

    // ---------------------------------------------------------------- formats and input types

    private static DataFormat formatAfterBuild(AbstractChannelDropout layer, InputType inputType) {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(layer)
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).build())
                .setInputType(inputType)
                .build();
        return ((AbstractChannelDropout) conf.getConf(0).getLayer()).getDataFormat();
    }

    @Test
    void channelLayersTakeTheFormatFromTheInputType() {
        assertEquals(RNNFormat.NCW, formatAfterBuild(new Dropout1d(), InputType.recurrent(3, 5, RNNFormat.NCW)));
        assertEquals(RNNFormat.NWC, formatAfterBuild(new Dropout1d(), InputType.recurrent(3, 5, RNNFormat.NWC)));
        assertEquals(CNN2DFormat.NCHW, formatAfterBuild(new Dropout2d(), InputType.convolutional(4, 4, 3,
                CNN2DFormat.NCHW)));
        assertEquals(CNN2DFormat.NHWC, formatAfterBuild(new Dropout2d(), InputType.convolutional(4, 4, 3,
                CNN2DFormat.NHWC)));
        assertEquals(Convolution3D.DataFormat.NCDHW, formatAfterBuild(new Dropout3d(),
                InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 2, 3, 3, 2)));
        assertEquals(Convolution3D.DataFormat.NDHWC, formatAfterBuild(new Dropout3d(),
                InputType.convolutional3D(Convolution3D.DataFormat.NDHWC, 2, 3, 3, 2)));
        assertEquals(CNN2DFormat.NHWC, formatAfterBuild(new FeatureAlphaDropout(), InputType.convolutional(4, 4, 3,
                CNN2DFormat.NHWC)));
        assertEquals(RNNFormat.NWC, formatAfterBuild(new FeatureAlphaDropout(), InputType.recurrent(3, 5,
                RNNFormat.NWC)));
        assertEquals(Convolution3D.DataFormat.NDHWC, formatAfterBuild(new FeatureAlphaDropout(),
                InputType.convolutional3D(Convolution3D.DataFormat.NDHWC, 2, 3, 3, 2)));
        assertNull(formatAfterBuild(new FeatureAlphaDropout(), InputType.feedForward(4)));
    }

    @Test
    void channelLayersTakeTheFormatFromTheBuilder() {
        assertEquals(RNNFormat.NWC, new Dropout1d.Builder().dataFormat(RNNFormat.NWC).build().getDataFormat());
        assertEquals(CNN2DFormat.NHWC, new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build().getDataFormat());
        assertEquals(Convolution3D.DataFormat.NDHWC,
                new Dropout3d.Builder().dataFormat(Convolution3D.DataFormat.NDHWC).build().getDataFormat());
        assertEquals(RNNFormat.NCW, new FeatureAlphaDropout.Builder().dataFormat(RNNFormat.NCW).build()
                .getDataFormat());
        assertNull(new Dropout2d().getDataFormat());

        // Explicit format and no input type: the network initialises and the format sticks.
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build())
                .layer(new Dropout(0.5))
                .build());
        net.init();
        assertEquals(CNN2DFormat.NHWC, ((Dropout2d) net.getLayerWiseConfigurations().getConf(0).getLayer())
                .getDataFormat());

        // An explicit format agreeing with the input type is kept.
        assertEquals(CNN2DFormat.NHWC, formatAfterBuild(new Dropout2d.Builder().dataFormat(CNN2DFormat.NHWC).build(),
                InputType.convolutional(4, 4, 3, CNN2DFormat.NHWC)));
    }

    private static String buildFailure(Layer layer, InputType inputType) {
        Exception e = assertThrows(IllegalArgumentException.class, () -> new NeuralNetConfiguration.Builder().list()
                .layer(layer)
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).build())
                .setInputType(inputType)
                .build());
        return e.getMessage();
    }

    @Test
    void mismatchedInputTypeKindFailsAtBuild() {
        String m = buildFailure(new Dropout2d(), InputType.feedForward(4));
        assertTrue(m.contains("Dropout2d") && m.contains("convolutional input") && m.contains("FeedForward"), m);
        m = buildFailure(new Dropout1d(), InputType.convolutional(4, 4, 3));
        assertTrue(m.contains("Dropout1d") && m.contains("recurrent input"), m);
        m = buildFailure(new Dropout3d(), InputType.recurrent(3, 5));
        assertTrue(m.contains("Dropout3d") && m.contains("3-D convolutional input"), m);
        m = buildFailure(new Dropout2d.Builder().name("d2").build(), InputType.convolutional3D(2, 3, 3, 2));
        assertTrue(m.contains("Dropout2d layer \"d2\""), m);

        // The same check in a ComputationGraph.
        Exception e = assertThrows(IllegalArgumentException.class, () -> new NeuralNetConfiguration.Builder()
                .graphBuilder().addInputs("in").setInputTypes(InputType.feedForward(4))
                .addLayer("drop", new Dropout1d(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(2).build(), "drop")
                .setOutputs("out").build());
        assertTrue(e.getMessage().contains("Dropout1d"), e.getMessage());
    }

    @Test
    void formatContradictingTheInputTypeFailsAtBuild() {
        String m = buildFailure(new Dropout2d.Builder().dataFormat(CNN2DFormat.NCHW).build(),
                InputType.convolutional(4, 4, 3, CNN2DFormat.NHWC));
        assertTrue(m.contains("NCHW") && m.contains("NHWC") && m.contains("Dropout2d"), m);
        m = buildFailure(new Dropout1d.Builder().dataFormat(RNNFormat.NWC).build(),
                InputType.recurrent(3, 5, RNNFormat.NCW));
        assertTrue(m.contains("NWC") && m.contains("NCW"), m);
        m = buildFailure(new Dropout3d.Builder().dataFormat(Convolution3D.DataFormat.NDHWC).build(),
                InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, 2, 3, 3, 2));
        assertTrue(m.contains("NDHWC") && m.contains("NCDHW"), m);
        m = buildFailure(new FeatureAlphaDropout.Builder().dataFormat(CNN2DFormat.NCHW).build(),
                InputType.convolutional(4, 4, 3, CNN2DFormat.NHWC));
        assertTrue(m.contains("NCHW") && m.contains("NHWC"), m);
    }

    @Test
    void missingInputTypeAndFormatFailsAtInit() {
        for (AbstractChannelDropout layer : List.of(new Dropout1d(), new Dropout2d(), new Dropout3d())) {
            MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                    .layer(layer)
                    .layer(new DenseLayer.Builder().nIn(4).nOut(4).build())
                    .build());
            IllegalStateException e = assertThrows(IllegalStateException.class, net::init);
            assertTrue(e.getMessage().contains(layer.getClass().getSimpleName())
                    && e.getMessage().contains("unknown channel axis") && e.getMessage().contains("setInputType")
                    && e.getMessage().contains("dataFormat"), e.getMessage());
        }
        ComputationGraph graph = new ComputationGraph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("in")
                .addLayer("drop", new Dropout2d(), "in")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2).build(), "drop")
                .setOutputs("out").build());
        IllegalStateException e = assertThrows(IllegalStateException.class, graph::init);
        assertTrue(e.getMessage().contains("Dropout2d layer \"drop\""), e.getMessage());

        // FeatureAlphaDropout falls back to axis 1 as PyTorch does.
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().list()
                .layer(new FeatureAlphaDropout())
                .layer(new DenseLayer.Builder().nIn(4).nOut(4).build())
                .build());
        net.init();
    }

    @Test
    void dropoutAndAlphaDropoutAcceptAnyInputTypeAndKeepIt() {
        List<InputType> types = List.of(InputType.feedForward(7), InputType.recurrent(3, 5, RNNFormat.NWC),
                InputType.recurrent(3, 5, RNNFormat.NCW), InputType.convolutional(4, 5, 3, CNN2DFormat.NHWC),
                InputType.convolutional(4, 5, 3, CNN2DFormat.NCHW),
                InputType.convolutional3D(Convolution3D.DataFormat.NDHWC, 2, 3, 4, 5),
                InputType.convolutionalFlat(4, 5, 1));
        for (AbstractDropout layer : List.of(new Dropout(0.3), new AlphaDropout(0.3))) {
            for (InputType type : types) {
                assertEquals(type, layer.getOutputType(0, type), layer + " on " + type);
                assertNull(layer.getPreProcessorForInputType(type));
                MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                        .layer(layer.clone())
                        .layer(layer.clone())
                        .setInputType(type)
                        .build();
                assertNotNull(conf);
            }
        }
        // Channel-wise layers keep their (accepted) input type too.
        InputType nhwc = InputType.convolutional(4, 5, 3, CNN2DFormat.NHWC);
        assertEquals(nhwc, new Dropout2d().getOutputType(0, nhwc));
        assertThrows(IllegalStateException.class, () -> new Dropout().getOutputType(0,
                null));
    }
}
