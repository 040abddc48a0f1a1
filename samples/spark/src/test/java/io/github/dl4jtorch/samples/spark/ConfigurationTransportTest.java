package io.github.dl4jtorch.samples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.github.dl4jtorch.dropout.AbstractDropout;
import io.github.dl4jtorch.dropout.AlphaDropout;
import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.Dropout1d;
import io.github.dl4jtorch.dropout.Dropout2d;
import io.github.dl4jtorch.dropout.Dropout3d;
import io.github.dl4jtorch.dropout.FeatureAlphaDropout;
import io.github.dl4jtorch.dropout.TorchDropout;
import io.github.dl4jtorch.samples.MnistNetworks;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Configurations holding this library's layers arrive on Spark executors as they left the driver: equal after
 * Spark's two serialisers, after JSON, and after real Spark jobs.
 *
 * <p>The configurations: the library's golden files (all six layers with drop probabilities, {@code inplace}
 * and data formats other than the defaults, as a multi-layer list and as a graph; and {@link TorchDropout} on
 * DL4J's layers, see the library's {@code SerializationTest}), one with what those files lack (a schedule for
 * {@code p}, shared axes, Monte Carlo dropout), and the sample's two MNIST networks.
 *
 * <p>In a Spark job a task's closure always travels with Java serialisation, and with Kryo configured (as
 * {@link LocalSpark} does) the elements of a driver-made RDD, shuffled records and task results travel with
 * Kryo. {@code local[N]} runs the executors in this JVM but still serialises tasks and results; only broadcast
 * values are handed over as objects, which is why the jobs here do not rely on a broadcast.
 */
class ConfigurationTransportTest {

    private static final ClassTag<Object> ANY = ClassTag$.MODULE$.AnyRef();

    /** A configuration under a readable name, for the test report. */
    record Shipped(String name, Serializable configuration) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Shipped> configurations() throws IOException {
        return List.of(
                new Shipped("golden multi-layer, all six", MultiLayerConfiguration.fromJson(
                        golden("multilayer-all-six-layers.json"))),
                new Shipped("golden graph, all six", ComputationGraphConfiguration.fromJson(
                        golden("computation-graph-all-six-layers.json"))),
                new Shipped("golden TorchDropout", MultiLayerConfiguration.fromJson(
                        golden("multilayer-torch-dropout.json"))),
                new Shipped("schedule, shared axes, Monte Carlo", scheduledSharedMonteCarlo()),
                new Shipped("MNIST net", MnistNetworks.configuration(Model.NET, 784, 256, 10, 0.2, 1e-3, 1)),
                new Shipped("MNIST conv NHWC", MnistConvNetwork.configuration(10, 0.5, 0.5, 1e-3, 1)));
    }

    /** The library's golden JSON, copied among the test resources by this project's pom. */
    private static String golden(String file) throws IOException {
        try (InputStream in = ConfigurationTransportTest.class.getResourceAsStream("/golden/" + file)) {
            assertNotNull(in, "golden file " + file + " is not among the test resources");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static MultiLayerConfiguration scheduledSharedMonteCarlo() {
        return new NeuralNetConfiguration.Builder().seed(3).list()
                .layer(new Dropout.Builder().pSchedule(new StepSchedule(ScheduleType.EPOCH, 0.4, 0.5, 2))
                        .sharedAxes(1).build())
                .layer(new Dropout1d.Builder().p(0.15).monteCarlo(true).inplace(true).build())
                .layer(new AlphaDropout.Builder().p(0.05).monteCarlo(true).build())
                .layer(new RnnOutputLayer.Builder(LossFunction.MSE).nOut(2).dataFormat(RNNFormat.NWC).build())
                .setInputType(InputType.recurrent(3, 5, RNNFormat.NWC))
                .build();
    }

    @Test
    void theConfigurationsHoldAllSixLayersWithSettingsOtherThanTheDefaults() throws IOException {
        List<String> classes = new ArrayList<>();
        StringBuilder described = new StringBuilder();
        for (Shipped shipped : configurations()) {
            for (Layer layer : layers(shipped.configuration()).values()) {
                classes.add(layer.getClass().getName());
                if (layer.getIDropout() != null) {
                    classes.add(layer.getIDropout().getClass().getName());
                }
                described.append(layer instanceof AbstractDropout ? layer : layer.getIDropout()).append('\n');
            }
        }
        for (Class<?> type : List.of(Dropout.class, Dropout1d.class, Dropout2d.class, Dropout3d.class,
                AlphaDropout.class, FeatureAlphaDropout.class, TorchDropout.class)) {
            assertTrue(classes.contains(type.getName()), type.getSimpleName() + " is in none of the configurations");
        }
        for (String setting : List.of("p=0.1,", "inplace=true", "dataFormat=NWC", "dataFormat=NHWC",
                "dataFormat=NDHWC", "sharedAxes=[1]", "StepSchedule", "monteCarlo=true")) {
            assertTrue(described.toString().contains(setting), setting + " is in none of the layers:\n" + described);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void jsonRoundTrip(Shipped shipped) {
        String json = json(shipped.configuration());
        Object copy = shipped.configuration() instanceof MultiLayerConfiguration
                ? MultiLayerConfiguration.fromJson(json) : ComputationGraphConfiguration.fromJson(json);
        assertArrivedIntact(shipped.configuration(), copy);
        assertEquals(json, json(copy));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void javaAndKryoSerializersRoundTrip(Shipped shipped) {
        for (Serializer serializer : List.of(new JavaSerializer(TestSpark.context().getConf()),
                new KryoSerializer(TestSpark.context().getConf()))) {
            SerializerInstance instance = serializer.newInstance();
            Object copy = instance.deserialize(instance.serialize(shipped.configuration(), ANY), ANY);
            assertNotSame(shipped.configuration(), copy);
            assertArrivedIntact(shipped.configuration(), copy);
        }
    }

    /**
     * Two jobs. In the first the configurations travel in the task's closure (Java serialisation) and come back
     * as task results (Kryo); in the second they are the elements of an RDD made on the driver (Kryo), go
     * through a shuffle (Kryo) and come back as results. Each executor also writes the JSON of what it received,
     * so the comparison covers the executor's copy as well as the one that came back.
     */
    @Test
    void executorsReceiveTheConfigurationsIntact() throws IOException {
        List<Shipped> shipped = configurations();
        List<Serializable> sent = shipped.stream().map(Shipped::configuration).toList();

        List<List<Tuple2<Object, String>>> fromClosures = TestSpark.context().parallelize(List.of(0, 1), 2)
                .map(task -> {
                    List<Tuple2<Object, String>> received = new ArrayList<>();  // Kryo rebuilds it: a mutable list
                    sent.forEach(c -> received.add(new Tuple2<>(c, json(c))));
                    return received;
                })
                .collect();
        assertEquals(2, fromClosures.size());
        for (List<Tuple2<Object, String>> received : fromClosures) {
            assertAllIntact(shipped, received);
        }

        List<Tuple2<Integer, Serializable>> numbered = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            numbered.add(new Tuple2<>(i, sent.get(i)));
        }
        Map<Integer, Tuple2<Object, String>> fromRecords = TestSpark.context().parallelizePairs(numbered, 2)
                .mapValues(c -> new Tuple2<Object, String>(c, json(c)))
                .repartition(3)
                .collectAsMap();
        List<Tuple2<Object, String>> inOrder = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            inOrder.add(fromRecords.get(i));
        }
        assertAllIntact(shipped, inOrder);
    }

    private static void assertAllIntact(List<Shipped> shipped, List<Tuple2<Object, String>> received) {
        assertEquals(shipped.size(), received.size());
        for (int i = 0; i < shipped.size(); i++) {
            Object original = shipped.get(i).configuration();
            assertNotSame(original, received.get(i)._1(), shipped.get(i).name());
            assertArrivedIntact(original, received.get(i)._1());
            assertEquals(json(original), received.get(i)._2(), shipped.get(i).name() + ": JSON on the executor");
        }
    }

    /**
     * Equal as configurations and layer by layer; this library's layers and {@link TorchDropout} also in their
     * string form. (Not DL4J's layers: {@code SubsamplingLayer}'s shows a field that JSON leaves out.)
     */
    private static void assertArrivedIntact(Object original, Object copy) {
        assertEquals(original, copy);
        Map<String, Layer> expected = layers(original);
        Map<String, Layer> actual = layers(copy);
        assertEquals(expected.keySet(), actual.keySet());
        for (Map.Entry<String, Layer> layer : expected.entrySet()) {
            Layer arrived = actual.get(layer.getKey());
            assertEquals(layer.getValue(), arrived, layer.getKey());
            assertEquals(layer.getValue().getIDropout(), arrived.getIDropout(), layer.getKey());
            if (layer.getValue() instanceof AbstractDropout) {
                assertEquals(layer.getValue().toString(), arrived.toString(), layer.getKey());
            }
            if (layer.getValue().getIDropout() instanceof TorchDropout) {
                assertEquals(layer.getValue().getIDropout().toString(), arrived.getIDropout().toString());
            }
        }
    }

    /** The layers by position (a list) or vertex name (a graph). */
    private static Map<String, Layer> layers(Object configuration) {
        Map<String, Layer> layers = new TreeMap<>();
        if (configuration instanceof MultiLayerConfiguration list) {
            for (int i = 0; i < list.getConfs().size(); i++) {
                layers.put(Integer.toString(i), list.getConf(i).getLayer());
            }
        } else {
            ((ComputationGraphConfiguration) configuration).getVertices().forEach((name, vertex) -> {
                if (vertex instanceof LayerVertex layer) {
                    layers.put(name, layer.getLayerConf().getLayer());
                }
            });
        }
        return layers;
    }

    private static String json(Object configuration) {
        return configuration instanceof MultiLayerConfiguration list
                ? list.toJson() : ((ComputationGraphConfiguration) configuration).toJson();
    }
}
