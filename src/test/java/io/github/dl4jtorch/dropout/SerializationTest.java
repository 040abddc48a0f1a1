package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Configurations survive JSON, YAML and Java serialization; trained networks survive {@link ModelSerializer};
 * and a committed golden JSON (written once from this code) keeps loading into the same configuration.
 */
class SerializationTest {

    private static final String GOLDEN_GRAPH = "/golden/computation-graph-all-six-layers.json";
    private static final String GOLDEN_MULTILAYER = "/golden/multilayer-all-six-layers.json";
    private static final long SEED = 7;

    private static final List<String> LAYER_CLASSES = List.of(Dropout.class.getName(), Dropout1d.class.getName(),
            Dropout2d.class.getName(), Dropout3d.class.getName(), AlphaDropout.class.getName(),
            FeatureAlphaDropout.class.getName());

    static List<Case> cases() {
        return IntegrationNets.cases();
    }

    /**
     * A graph using all six layers, channels-last formats from the input types and one explicit: four inputs
     * (feed-forward, NWC, NHWC, NDHWC), each through its dropout layers to its own output.
     */
    static ComputationGraphConfiguration allSixGraph() {
        return new NeuralNetConfiguration.Builder().seed(SEED).updater(new Adam(0.01)).graphBuilder()
                .addInputs("ff", "rnn", "cnn", "cnn3d")
                .setInputTypes(InputType.feedForward(3), InputType.recurrent(3, 4, RNNFormat.NWC),
                        InputType.convolutional(3, 2, 3, CNN2DFormat.NHWC),
                        InputType.convolutional3D(Convolution3D.DataFormat.NDHWC, 2, 3, 2, 3))
                .addLayer("dropout", new Dropout(0.25), "ff")
                .addLayer("alpha", new AlphaDropout.Builder().p(0.1).inplace(true).build(), "dropout")
                .addLayer("ffOut", new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build(), "alpha")
                .addLayer("d1", new Dropout1d(0.3), "rnn")
                .addLayer("rnnOut", new RnnOutputLayer.Builder(LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).dataFormat(RNNFormat.NWC).build(), "d1")
                .addLayer("d2", new Dropout2d.Builder().p(0.4).dataFormat(CNN2DFormat.NHWC).build(), "cnn")
                .addLayer("featureAlpha", new FeatureAlphaDropout(0.2), "d2")
                .addLayer("cnnOut", new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build(), "featureAlpha")
                .addLayer("d3", new Dropout3d(0.5, true), "cnn3d")
                .addLayer("cnn3dOut", new OutputLayer.Builder(LossFunction.MSE).nOut(2)
                        .activation(Activation.IDENTITY).build(), "d3")
                .setOutputs("ffOut", "rnnOut", "cnnOut", "cnn3dOut")
                .build();
    }

    /** All six layers in one list with explicit formats (no input type, so no shape checks). */
    static MultiLayerConfiguration allSixMultiLayer() {
        return new NeuralNetConfiguration.Builder().seed(SEED).list()
                .layer(new Dropout.Builder().p(0.1).name("dropout").build())
                .layer(new AlphaDropout(0.2, true))
                .layer(new Dropout1d.Builder().p(0.3).dataFormat(RNNFormat.NWC).build())
                .layer(new Dropout2d.Builder().p(0.4).inplace(true).dataFormat(CNN2DFormat.NHWC).build())
                .layer(new Dropout3d.Builder().p(0.5).dataFormat(Convolution3D.DataFormat.NDHWC).build())
                .layer(new FeatureAlphaDropout.Builder().p(0.6).dataFormat(CNN2DFormat.NCHW).build())
                .layer(new FeatureAlphaDropout(0.05))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2).build())
                .build();
    }

    private static void assertUsesAllSix(String json) {
        for (String name : LAYER_CLASSES) {
            assertTrue(json.contains("\"" + name + "\""), "JSON lacks " + name);
        }
    }

    @Test
    void multiLayerConfigurationJsonAndYamlRoundTrip() {
        MultiLayerConfiguration conf = allSixMultiLayer();
        String json = conf.toJson();
        assertUsesAllSix(json);
        MultiLayerConfiguration fromJson = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, fromJson);
        assertEquals(json, fromJson.toJson());
        assertEquals(conf, MultiLayerConfiguration.fromYaml(conf.toYaml()));
        for (Case c : IntegrationNets.cases()) {
            MultiLayerConfiguration withTypes = IntegrationNets.mlnConf(c, 0.35, true,
                    IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), WorkspaceMode.ENABLED));
            assertEquals(withTypes, MultiLayerConfiguration.fromJson(withTypes.toJson()), c.toString());
            assertEquals(withTypes, MultiLayerConfiguration.fromYaml(withTypes.toYaml()), c.toString());
        }
    }

    @Test
    void computationGraphConfigurationJsonAndYamlRoundTrip() {
        ComputationGraphConfiguration conf = allSixGraph();
        String json = conf.toJson();
        assertUsesAllSix(json);
        ComputationGraphConfiguration fromJson = ComputationGraphConfiguration.fromJson(json);
        assertEquals(conf, fromJson);
        assertEquals(json, fromJson.toJson());
        assertEquals(conf, ComputationGraphConfiguration.fromYaml(conf.toYaml()));
    }

    @Test
    void roundTripKeepsEveryField() {
        MultiLayerConfiguration conf = MultiLayerConfiguration.fromJson(allSixMultiLayer().toJson());
        Dropout2d d2 = (Dropout2d) conf.getConf(3).getLayer();
        assertEquals(0.4, d2.getP());
        assertTrue(d2.isInplace());
        assertEquals(CNN2DFormat.NHWC, d2.getDataFormat());
        assertEquals("dropout", conf.getConf(0).getLayer().getLayerName());
        assertEquals("Dropout3d(p=0.5, inplace=false, dataFormat=NDHWC)", conf.getConf(4).getLayer().toString());
        ComputationGraphConfiguration graph = ComputationGraphConfiguration.fromJson(allSixGraph().toJson());
        org.deeplearning4j.nn.conf.graph.LayerVertex d1 =
                (org.deeplearning4j.nn.conf.graph.LayerVertex) graph.getVertices().get("d1");
        assertEquals(RNNFormat.NWC, ((Dropout1d) d1.getLayerConf().getLayer()).getDataFormat());
    }

    @SuppressWarnings("unchecked")
    private static <T> T javaRoundTrip(T object) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void javaSerializationRoundTrip() throws Exception {
        MultiLayerConfiguration conf = allSixMultiLayer();
        MultiLayerConfiguration copy = javaRoundTrip(conf);
        assertNotSame(conf, copy);
        assertEquals(conf, copy);
        ComputationGraphConfiguration graph = allSixGraph();
        assertEquals(graph, javaRoundTrip(graph));
        for (Case c : IntegrationNets.cases()) {
            AbstractDropout layer = c.layer().apply(0.45, true);
            assertEquals(layer, javaRoundTrip(layer));
        }
        // A network built from the shipped configuration runs.
        MultiLayerNetwork net = IntegrationNets.mln(javaRoundTrip(IntegrationNets.mlnConf(IntegrationNets.CASES.get(7),
                0.5, false, IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), WorkspaceMode.ENABLED))));
        assertNotNull(net.output(IntegrationNets.randn(1, DataType.FLOAT,
                IntegrationNets.CASES.get(7).layout().shape(2))));
    }

    private static byte[] save(org.deeplearning4j.nn.api.Model model) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(model, bytes, true);
        return bytes.toByteArray();
    }

    private static DataSet trainingData(Case c) {
        return new DataSet(IntegrationNets.randn(1, DataType.FLOAT, c.layout().shape(4)),
                IntegrationNets.randn(2, DataType.FLOAT, c.layout().labelShape(4)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void modelSerializerMultiLayerNetwork(Case c) throws IOException {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.4, false,
                IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), WorkspaceMode.ENABLED)));
        DataSet data = trainingData(c);
        INDArray x = data.getFeatures();
        net.fit(data);
        net.fit(data);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(save(net)), true);
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(net.params(), restored.params());
        assertEquals(net.output(x), restored.output(x), c + ": evaluation output after restore");
        Nd4j.getRandom().setSeed(SEED);
        INDArray trained = net.output(x, true);
        Nd4j.getRandom().setSeed(SEED);
        assertEquals(trained, restored.output(x, true), c + ": training output after restore");
        // Training continues identically (updater state restored too).
        Nd4j.getRandom().setSeed(SEED);
        net.fit(data);
        Nd4j.getRandom().setSeed(SEED);
        restored.fit(data);
        assertEquals(net.params(), restored.params());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void modelSerializerComputationGraph(Case c) throws IOException {
        ComputationGraph net = IntegrationNets.graph(IntegrationNets.graphConf(c, 0.4, true,
                IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), WorkspaceMode.ENABLED)));
        DataSet data = trainingData(c);
        INDArray x = data.getFeatures();
        net.fit(data);
        net.fit(data);
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(save(net)), true);
        assertEquals(net.getConfiguration(), restored.getConfiguration());
        assertEquals(net.outputSingle(x), restored.outputSingle(x), c + ": evaluation output after restore");
    }

    @Test
    void modelSerializerAllSixLayersGraph() throws IOException {
        ComputationGraph net = IntegrationNets.graph(allSixGraph());
        INDArray[] features = {
            IntegrationNets.randn(1, DataType.FLOAT, 4, 3),
            IntegrationNets.randn(2, DataType.FLOAT, 4, 4, 3),
            IntegrationNets.randn(3, DataType.FLOAT, 4, 3, 2, 3),
            IntegrationNets.randn(4, DataType.FLOAT, 4, 2, 3, 2, 3)};
        INDArray[] labels = {
            IntegrationNets.randn(5, DataType.FLOAT, 4, 2),
            IntegrationNets.randn(6, DataType.FLOAT, 4, 4, 2),
            IntegrationNets.randn(7, DataType.FLOAT, 4, 2),
            IntegrationNets.randn(8, DataType.FLOAT, 4, 2)};
        for (int i = 0; i < 3; i++) {
            net.fit(new MultiDataSet(features, labels));
        }
        ComputationGraph restored = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(save(net)), true);
        INDArray[] expected = net.output(features);
        INDArray[] actual = restored.output(features);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], "output " + i);
        }
    }

    // ---------------------------------------------------------------- golden files (format stability)

    private static String resource(String path) throws IOException {
        try (InputStream in = SerializationTest.class.getResourceAsStream(path)) {
            assertNotNull(in, "missing golden file " + path);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void goldenComputationGraphJsonKeepsLoading() throws IOException {
        String golden = resource(GOLDEN_GRAPH);
        assertUsesAllSix(golden);
        ComputationGraphConfiguration loaded = ComputationGraphConfiguration.fromJson(golden);
        assertEquals(allSixGraph(), loaded);
        // And it still builds a working network.
        ComputationGraph net = new ComputationGraph(loaded);
        net.init();
        assertEquals(4, net.output(IntegrationNets.randn(1, DataType.FLOAT, 2, 3),
                IntegrationNets.randn(2, DataType.FLOAT, 2, 4, 3), IntegrationNets.randn(3, DataType.FLOAT, 2, 3, 2, 3),
                IntegrationNets.randn(4, DataType.FLOAT, 2, 2, 3, 2, 3)).length);
    }

    @Test
    void goldenMultiLayerJsonKeepsLoading() throws IOException {
        String golden = resource(GOLDEN_MULTILAYER);
        assertUsesAllSix(golden);
        assertEquals(allSixMultiLayer(), MultiLayerConfiguration.fromJson(golden));
    }
}
