package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.assertMixed;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertVariesAlong;
import static io.github.dl4jtorch.dropout.DropoutChecks.maskOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.dl4jtorch.dropout.IntegrationNets.Layout;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.dropout.GaussianDropout;
import org.deeplearning4j.nn.conf.dropout.GaussianNoise;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.Convolution1DLayer;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.Bidirectional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * {@link DropoutConverter}: which of DL4J's dropouts become which of ours, with {@code p = 1 - retain}, the data format
 * found for {@code SpatialDropout}, and what is kept; copies that leave the original alone and serialise; converted
 * networks with the original's parameters, updater state and evaluation output bit for bit; and channel-wise masks
 * after channels-last layers, where DL4J's own {@code SpatialDropout} drops rows of the first spatial axis.
 */
class DropoutConverterTest {

    private static final long SEED = 2024;
    private static final int C = IntegrationNets.CHANNELS;

    private static NeuralNetConfiguration.Builder base() {
        return new NeuralNetConfiguration.Builder().seed(SEED).updater(new Adam(0.01)).weightInit(WeightInit.XAVIER);
    }

    private static org.deeplearning4j.nn.conf.dropout.Dropout dl4jDropout(double retain) {
        return new org.deeplearning4j.nn.conf.dropout.Dropout(retain);
    }

    private static org.deeplearning4j.nn.conf.dropout.AlphaDropout dl4jAlphaDropout(double retain) {
        return new org.deeplearning4j.nn.conf.dropout.AlphaDropout(retain);
    }

    /** A 2x2 convolution with positive (sigmoid) activations, so that dropped elements are the zeros. */
    private static ConvolutionLayer.Builder conv2d(CNN2DFormat format) {
        return new ConvolutionLayer.Builder(2, 2).nOut(C).convolutionMode(ConvolutionMode.Same)
                .activation(Activation.SIGMOID).dataFormat(format);
    }

    /**
     * conv (NHWC) -> DropoutLayer(SpatialDropout 0.5) -> DropoutLayer(0.8) -> dense with dropOut(0.9) ->
     * DropoutLayer(AlphaDropout 0.95) -> dense with GaussianDropout -> dense with a scheduled Dropout -> output with
     * AlphaDropout(0.9).
     */
    private static MultiLayerConfiguration mixedMultiLayer() {
        return base().list()
                .layer(conv2d(CNN2DFormat.NHWC).name("conv").build())
                .layer(new DropoutLayer.Builder(new SpatialDropout(0.5)).name("spatial").build())
                .layer(new DropoutLayer.Builder(0.8).name("drop").build())
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.SELU).dropOut(0.9).name("dense").build())
                .layer(new DropoutLayer.Builder(dl4jAlphaDropout(0.95)).name("alpha").build())
                .layer(new DenseLayer.Builder().nOut(8).dropOut(new GaussianDropout(0.1)).name("gaussian").build())
                .layer(new DenseLayer.Builder().nOut(8).name("scheduled")
                        .dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(
                                new StepSchedule(ScheduleType.ITERATION, 0.9, 0.5, 10))).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .dropOut(dl4jAlphaDropout(0.9)).name("out").build())
                .setInputType(InputType.convolutional(IntegrationNets.HEIGHT, IntegrationNets.WIDTH, 2,
                        CNN2DFormat.NHWC))
                .build();
    }

    private static Layer layer(MultiLayerConfiguration conf, int index) {
        return conf.getConf(index).getLayer();
    }

    private static Layer layer(ComputationGraphConfiguration conf, String name) {
        return ((LayerVertex) conf.getVertices().get(name)).getLayerConf().getLayer();
    }

    // ---------------------------------------------------------------- configurations

    @Test
    void multiLayerConfigurationConvertsEachKindAndKeepsTheRest() {
        MultiLayerConfiguration conf = mixedMultiLayer();
        String before = conf.toJson();
        MultiLayerConfiguration torch = DropoutConverter.toTorch(conf);

        assertEquals(before, conf.toJson(), "the argument was modified");
        assertInstanceOf(DropoutLayer.class, layer(conf, 1));
        assertEquals(layer(conf, 0), layer(torch, 0));
        assertEquals(new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).name("spatial").build(),
                layer(torch, 1));
        assertEquals(new Dropout.Builder().p(0.2).name("drop").build(), layer(torch, 2));
        assertEquals(new TorchDropout(0.1), layer(torch, 3).getIDropout());
        assertEquals(new AlphaDropout.Builder().p(0.05).name("alpha").build(), layer(torch, 4));
        assertEquals(TorchDropout.from(new AlphaDropout(0.1)), layer(torch, 7).getIDropout());
        for (int kept : new int[] {5, 6}) {
            assertEquals(layer(conf, kept).getIDropout(), layer(torch, kept).getIDropout(), "layer " + kept);
            assertNotSame(layer(conf, kept).getIDropout(), layer(torch, kept).getIDropout(), "layer " + kept);
        }
        assertEquals(torch, MultiLayerConfiguration.fromJson(torch.toJson()), "JSON round trip");
    }

    /** The converted {@code p} reads as PyTorch code does and keeps DL4J's retain probability exactly. */
    @Test
    void dropProbabilityIsTheShortestDecimalWhoseComplementIsTheRetainProbability() {
        Map<Double, Double> expected = Map.of(0.8, 0.2, 0.9, 0.1, 0.95, 0.05, 0.55, 0.45, 0.5, 0.5, 1.0, 0.0);
        expected.forEach((retain, p) -> {
            double converted = DropoutConverter.dropProbability(retain, "test");
            assertEquals(p, converted, "retain " + retain);
            assertEquals(retain, 1 - converted, "complement of " + converted);
        });
        // No double p has 1 - p == 0.3 exactly: 1 - 0.3 itself.
        assertEquals(1 - 0.3, DropoutConverter.dropProbability(0.3, "test"));
    }

    @Test
    void retainProbabilityOutsideTheRangeFailsNamingTheLayer() {
        MultiLayerConfiguration conf = base().list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(3).dropOut(dl4jDropout(1.5)).name("dense").build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(3).nOut(2).build())
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DropoutConverter.toTorch(conf));
        assertEquals("layer 0 (\"dense\"): DL4J's retain probability 1.5 lies outside (0, 1]: there is no drop "
                + "probability to convert it to", e.getMessage());
    }

    /** Network-wide {@code dropOut(0.8)}: on every DL4J layer, a bare DropoutLayer included; ours ignore it. */
    @Test
    void networkWideDropoutBecomesOneTorchDropoutPerLayer() {
        MultiLayerConfiguration conf = base().dropOut(0.8).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).build())
                .layer(new DropoutLayer.Builder().build())
                .layer(new Dropout(0.3))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(5).nOut(2).build())
                .build();
        MultiLayerConfiguration torch = DropoutConverter.toTorch(conf);
        assertEquals(new TorchDropout(0.2), layer(torch, 0).getIDropout());
        assertEquals(new Dropout.Builder().p(0.2).name("layer1").build(), layer(torch, 1)); // DL4J names the layers
        assertEquals(layer(conf, 2), layer(torch, 2));
        assertEquals(new TorchDropout(0.2), layer(torch, 3).getIDropout());
        assertNotSame(layer(torch, 0).getIDropout(), layer(torch, 3).getIDropout());
    }

    /** Schedules (of the retain probability), non-SELU alpha constants, Gaussian dropout and noise are kept. */
    @Test
    void scheduledGaussianAndNonSeluDropoutAreKept() throws IOException {
        StepSchedule retain = new StepSchedule(ScheduleType.EPOCH, 0.9, 0.5, 2);
        IDropout nonSelu = NeuralNetConfiguration.mapper().readValue("{\"@class\":\""
                + org.deeplearning4j.nn.conf.dropout.AlphaDropout.class.getName()
                + "\",\"p\":0.9,\"alpha\":1.5,\"lambda\":1.0}", IDropout.class);
        List<IDropout> kept = List.of(new org.deeplearning4j.nn.conf.dropout.Dropout(retain),
                new SpatialDropout(retain), new org.deeplearning4j.nn.conf.dropout.AlphaDropout(retain), nonSelu,
                new GaussianDropout(0.2), new GaussianNoise(0.1));
        NeuralNetConfiguration.ListBuilder list = base().list();
        for (IDropout dropout : kept) {
            list.layer(new DropoutLayer.Builder(dropout).build());
            list.layer(new DenseLayer.Builder().nIn(4).nOut(4).dropOut(dropout.clone()).build());
        }
        MultiLayerConfiguration conf = list.layer(new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2).build())
                .setInputType(InputType.convolutional(3, 2, 4, CNN2DFormat.NHWC)).build();
        MultiLayerConfiguration torch = DropoutConverter.toTorch(conf);
        for (int i = 0; i < 2 * kept.size(); i++) {
            assertEquals(layer(conf, i), layer(torch, i), "layer " + i);
        }
    }

    /**
     * in (NHWC) -> convolutions "a" and "b" -> "sum" (element-wise, the format search walks through it) ->
     * DropoutLayer(SpatialDropout 0.5) -> dense -> DropoutLayer(AlphaDropout 0.9) -> output with dropOut(0.8).
     * (Dropout on the dense layer would overwrite the SpatialDropout's output in place in training, hiding its mask;
     * on an NHWC convolution, DL4J 1.0.0-M2.1 backpropagates it in NCHW order and fails.)
     */
    private static ComputationGraphConfiguration graph(int height, int width) {
        return base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.convolutional(height, width, 2, CNN2DFormat.NHWC))
                .addLayer("a", conv2d(CNN2DFormat.NHWC).build(), "in")
                .addLayer("b", conv2d(CNN2DFormat.NHWC).build(), "in")
                .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "a", "b")
                .addLayer("spatial", new DropoutLayer.Builder(new SpatialDropout(0.5)).build(), "sum")
                .addLayer("dense", new DenseLayer.Builder().nOut(5).activation(Activation.SELU).build(), "spatial")
                .addLayer("alpha", new DropoutLayer.Builder(dl4jAlphaDropout(0.9)).build(), "dense")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .dropOut(0.8).build(), "alpha")
                .setOutputs("out")
                .build();
    }

    @Test
    void computationGraphConfigurationConvertsEachKind() {
        ComputationGraphConfiguration conf = graph(3, 2);
        String before = conf.toJson();
        ComputationGraphConfiguration torch = DropoutConverter.toTorch(conf);

        assertEquals(before, conf.toJson(), "the argument was modified");
        assertEquals(layer(conf, "a"), layer(torch, "a"));
        assertEquals(new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).name("spatial").build(),
                layer(torch, "spatial"));
        assertEquals(new AlphaDropout.Builder().p(0.1).name("alpha").build(), layer(torch, "alpha"));
        assertEquals(new TorchDropout(0.2), layer(torch, "out").getIDropout());
        assertEquals(torch, ComputationGraphConfiguration.fromJson(torch.toJson()), "JSON round trip");
    }

    /** No layer before the SpatialDropout states a format: the input type decides, and without one it is kept. */
    @Test
    void withoutAStatedFormatTheInputTypeDecidesElseSpatialDropoutIsKept() {
        InputType nhwc = InputType.convolutional(3, 2, 2, CNN2DFormat.NHWC);
        MultiLayerConfiguration conf = base().list()
                .layer(new DropoutLayer.Builder(new SpatialDropout(0.5)).name("spatial").build())
                .layer(conv2d(CNN2DFormat.NHWC).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(nhwc)
                .build();
        Dropout2d expected = new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).name("spatial").build();
        String multiLayerBefore = conf.toJson();
        assertEquals(layer(conf, 0), layer(DropoutConverter.toTorch(conf), 0));
        assertEquals(expected, layer(DropoutConverter.toTorch(conf, nhwc), 0));
        assertEquals(multiLayerBefore, conf.toJson(), "working out the activation types modified the argument");

        ComputationGraphConfiguration graph = base().graphBuilder()
                .addInputs("in")
                .setInputTypes(nhwc)
                .addLayer("spatial", new DropoutLayer.Builder(new SpatialDropout(0.5)).build(), "in")
                .addLayer("conv", conv2d(CNN2DFormat.NHWC).build(), "spatial")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build(), "conv")
                .setOutputs("out")
                .build();
        String before = graph.toJson();
        assertEquals(layer(graph, "spatial"), layer(DropoutConverter.toTorch(graph), "spatial"));
        assertEquals(expected, layer(DropoutConverter.toTorch(graph, nhwc), "spatial"));
        assertEquals(before, graph.toJson(), "working out the activation types modified the argument");
        assertThrows(IllegalArgumentException.class, () -> DropoutConverter.toTorch(graph, nhwc, nhwc));
    }

    /**
     * A layer's own SpatialDropout takes the layer's format, channels-first where the layer leaves it unset (as DL4J
     * runs it); inside a wrapper, the wrapped layer's. The original's wrapped layers keep DL4J's dropout.
     */
    @Test
    void ownSpatialDropoutTakesTheLayersFormatAlsoInsideWrappers() {
        MultiLayerConfiguration unset = base().list()
                .layer(new RnnOutputLayer.Builder(LossFunction.MSE).nIn(3).nOut(2).dropOut(new SpatialDropout(0.5))
                        .build())
                .build();
        assertEquals(TorchDropout.from(new Dropout1d.Builder().p(0.5).dataFormat(RNNFormat.NCW).build()),
                layer(DropoutConverter.toTorch(unset), 0).getIDropout());

        MultiLayerConfiguration wrapped = base().list()
                .layer(new Bidirectional(new LSTM.Builder().nIn(3).nOut(4).dataFormat(RNNFormat.NWC)
                        .dropOut(new SpatialDropout(0.7)).build()))
                .layer(new RnnOutputLayer.Builder(LossFunction.MSE).nIn(8).nOut(2).dataFormat(RNNFormat.NWC).build())
                .build();
        Bidirectional torch = (Bidirectional) layer(DropoutConverter.toTorch(wrapped), 0);
        TorchDropout expected = TorchDropout.from(new Dropout1d.Builder().p(0.3).dataFormat(RNNFormat.NWC).build());
        assertEquals(expected, torch.getFwd().getIDropout());
        assertEquals(expected, torch.getBwd().getIDropout());
        assertInstanceOf(SpatialDropout.class, ((Bidirectional) layer(wrapped, 0)).getFwd().getIDropout());
    }

    // ---------------------------------------------------------------- SpatialDropout: the data format

    /** A layer giving positive activations in a layout, and the layer DL4J's SpatialDropout(0.5) after it becomes. */
    record SpatialCase(String name, Layout layout, Layer producer, AbstractChannelDropout expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<SpatialCase> spatialCases() {
        return Stream.of(
                new SpatialCase("ConvolutionLayer NHWC", Layout.NHWC, conv2d(CNN2DFormat.NHWC).build(),
                        new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).name("spatial").build()),
                new SpatialCase("ConvolutionLayer NCHW", Layout.NCHW, conv2d(CNN2DFormat.NCHW).build(),
                        new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NCHW).name("spatial").build()),
                new SpatialCase("Convolution1DLayer NWC", Layout.NWC,
                        new Convolution1DLayer.Builder().kernelSize(2).nOut(C).convolutionMode(ConvolutionMode.Same)
                                .activation(Activation.SIGMOID).rnnDataFormat(RNNFormat.NWC).build(),
                        new Dropout1d.Builder().p(0.5).dataFormat(RNNFormat.NWC).name("spatial").build()),
                new SpatialCase("Convolution3D NDHWC", Layout.NDHWC,
                        new Convolution3D.Builder().kernelSize(1, 2, 2).nOut(C).convolutionMode(ConvolutionMode.Same)
                                .activation(Activation.SIGMOID).dataFormat(Convolution3D.DataFormat.NDHWC).build(),
                        new Dropout3d.Builder().p(0.5).dataFormat(Convolution3D.DataFormat.NDHWC).name("spatial")
                                .build()));
    }

    /** producer -> identity activation (the format search walks through it) -> DropoutLayer(SpatialDropout) -> out. */
    private static MultiLayerConfiguration spatialMultiLayer(SpatialCase c) {
        return base().list()
                .layer(c.producer())
                .layer(new ActivationLayer(Activation.IDENTITY))
                .layer(new DropoutLayer.Builder(new SpatialDropout(0.5)).name("spatial").build())
                .layer(c.layout().output())
                .setInputType(c.layout().inputType())
                .build();
    }

    /** The shape of a mask on {@code shape} with one draw per (example, index along {@code varyingAxis}). */
    private static long[] maskShape(long[] shape, int varyingAxis) {
        long[] mask = new long[shape.length];
        Arrays.fill(mask, 1);
        mask[0] = shape[0];
        mask[varyingAxis] = shape[varyingAxis];
        return mask;
    }

    /**
     * Asserts that {@code dropped}, this library's dropout with p = 0.5 of the positive {@code input}, zeroes whole
     * channels and scales the rest by exactly 2. False-failure rate with N examples of 3 channels: all N x 3 lanes
     * kept or all dropped, 2^(1-3N), plus no example whose 3 channels differ, (1/4)^N; 6e-8 for N = 12.
     */
    private static void assertChannelWise(INDArray input, INDArray dropped, int channelAxis) {
        long[] maskShape = maskShape(dropped.shape(), channelAxis);
        boolean[] mask = maskOf(dropped, maskShape);
        assertMixed(mask);
        assertVariesAlong(mask, maskShape, channelAxis);
        INDArray kept = dropped.neq(0).castTo(input.dataType());
        assertSameBits(input.mul(2).mul(kept), dropped, "kept values scaled by 1/(1-p)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("spatialCases")
    void spatialDropoutTakesTheFormatOfTheLayerBefore(SpatialCase c) {
        MultiLayerNetwork dl4j = IntegrationNets.mln(spatialMultiLayer(c));
        MultiLayerNetwork torch = DropoutConverter.toTorch(dl4j);
        assertEquals(c.expected(), layer(torch.getLayerWiseConfigurations(), 2));

        INDArray x = IntegrationNets.randn(SEED, DataType.FLOAT, c.layout().shape(12));
        assertSameBits(dl4j.output(x), torch.output(x), "evaluation output");

        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> activations = torch.feedForward(x, true);
        assertChannelWise(activations.get(2), activations.get(3), c.layout().channelAxis);
        // DL4J's own: one draw per (example, axis 1), whatever axis 1 is (checked by maskOf).
        Nd4j.getRandom().setSeed(SEED);
        INDArray dl4jDropped = dl4j.feedForward(x, true).get(3);
        maskOf(dl4jDropped, maskShape(dl4jDropped.shape(), 1));
    }

    /**
     * The defect the conversion removes, after an NHWC convolution: DL4J's masks are constant over (W, C) for each
     * (n, h) and vary along H: rows are dropped, not channels. False-failure rates: no example of 16 whose 6 rows
     * differ, (2^-5)^16 = 2^-80; for the converted network as in {@link #assertChannelWise}, 2^-47 + 4^-16 = 2.3e-10.
     */
    @Test
    void nhwcSpatialDropoutDropsChannelsAfterConversionAndRowsBefore() {
        MultiLayerConfiguration conf = base().list()
                .layer(conv2d(CNN2DFormat.NHWC).build())
                .layer(new DropoutLayer.Builder(new SpatialDropout(0.5)).name("spatial").build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(6, 4, 2, CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork dl4j = IntegrationNets.mln(conf);
        MultiLayerNetwork torch = DropoutConverter.toTorch(dl4j);
        INDArray x = IntegrationNets.randn(SEED, DataType.FLOAT, 16, 6, 4, 2);

        Nd4j.getRandom().setSeed(SEED);
        INDArray dl4jDropped = dl4j.feedForward(x, true).get(2);
        long[] rows = maskShape(dl4jDropped.shape(), 1);
        assertVariesAlong(maskOf(dl4jDropped, rows), rows, 1);

        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> activations = torch.feedForward(x, true);
        assertChannelWise(activations.get(1), activations.get(2), 3);
    }

    // ---------------------------------------------------------------- networks: parameters and updater state

    private static INDArray oneHot(int rows, int classes) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, rows, classes);
        for (int i = 0; i < rows; i++) {
            labels.putScalar(i, i % classes, 1);
        }
        return labels;
    }

    @Test
    void multiLayerNetworkKeepsParametersUpdaterStateAndEvaluationOutput() {
        MultiLayerNetwork net = IntegrationNets.mln(mixedMultiLayer());
        INDArray x = IntegrationNets.randn(SEED, DataType.FLOAT, 6, IntegrationNets.HEIGHT, IntegrationNets.WIDTH, 2);
        for (int i = 0; i < 3; i++) {
            net.fit(x, oneHot(6, 3));
        }
        INDArray params = net.params().dup();
        String json = net.getLayerWiseConfigurations().toJson();

        MultiLayerNetwork torch = DropoutConverter.toTorch(net);
        assertSameBits(params, net.params(), "original parameters");
        assertEquals(json, net.getLayerWiseConfigurations().toJson(), "original configuration");
        assertSameBits(params, torch.params(), "parameters");
        assertNotSame(net.params(), torch.params());
        assertSameBits(net.getUpdater().getStateViewArray(), torch.getUpdater().getStateViewArray(), "updater state");
        assertEquals(3, torch.getIterationCount());
        assertSameBits(net.output(x), torch.output(x), "evaluation output");
    }

    /**
     * With identity dropout (DL4J's retain 1, our p = 0), a training step continues the same way in both networks:
     * the updater state (Adam's moments and the iteration count) came along.
     */
    @Test
    void trainingContinuesFromTheCopiedUpdaterState() {
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(5).activation(Activation.TANH).dropOut(1.0).build())
                .layer(new DropoutLayer(1.0))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(5).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build());
        INDArray x = IntegrationNets.randn(SEED, DataType.FLOAT, 6, 4);
        INDArray y = oneHot(6, 3);
        net.fit(x, y);
        net.fit(x, y);
        MultiLayerNetwork torch = DropoutConverter.toTorch(net);
        assertEquals(new Dropout.Builder().p(0).name("layer1").build(), layer(torch.getLayerWiseConfigurations(), 1));
        net.fit(x, y);
        torch.fit(x, y);
        assertSameBits(net.params(), torch.params(), "parameters after one more step");
    }

    @Test
    void computationGraphKeepsParametersUpdaterStateAndEvaluationOutput() {
        ComputationGraph net = IntegrationNets.graph(graph(4, 3));
        INDArray x = IntegrationNets.randn(SEED, DataType.FLOAT, 12, 4, 3, 2);
        for (int i = 0; i < 3; i++) {
            net.fit(new INDArray[] {x}, new INDArray[] {IntegrationNets.randn(SEED + i, DataType.FLOAT, 12, 2)});
        }
        INDArray params = net.params().dup();

        ComputationGraph torch = DropoutConverter.toTorch(net);
        assertSameBits(params, net.params(), "original parameters");
        assertSameBits(params, torch.params(), "parameters");
        assertSameBits(net.getUpdater().getStateViewArray(), torch.getUpdater().getStateViewArray(), "updater state");
        assertEquals(3, torch.getConfiguration().getIterationCount());
        assertSameBits(net.outputSingle(x), torch.outputSingle(x), "evaluation output");

        Nd4j.getRandom().setSeed(SEED);
        Map<String, INDArray> activations = torch.feedForward(x, true);
        assertChannelWise(activations.get("sum"), activations.get("spatial"), 3);
    }

    @Test
    void networksMustBeInitialised() {
        assertThrows(IllegalStateException.class,
                () -> DropoutConverter.toTorch(new MultiLayerNetwork(mixedMultiLayer())));
        assertThrows(IllegalStateException.class, () -> DropoutConverter.toTorch(new ComputationGraph(graph(3, 2))));
    }

    @Test
    void anUntrainedNetworkGetsNoUpdaterFromTheConversion() {
        MultiLayerNetwork net = IntegrationNets.mln(mixedMultiLayer());
        DropoutConverter.toTorch(net);
        assertNull(net.getUpdater(false));
    }
}
