package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import io.github.dl4jtorch.dropout.IntegrationNets.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Training and inference under {@link WorkspaceMode#ENABLED} and {@link WorkspaceMode#NONE}: no workspace error
 * (returning activations from the wrong workspace fails only with workspaces, mostly in {@code output(x)}), and
 * the same results in both modes for the same seeds.
 */
class WorkspaceModeTest {

    private static final int MINIBATCH = 4;
    private static final long SEED = 42;
    private static final int ITERATIONS = 3;

    static Stream<Arguments> casesAndInplace() {
        return IntegrationNets.cases().stream()
                .flatMap(c -> Stream.of(Arguments.of(c, false), Arguments.of(c, true)));
    }

    private static NeuralNetConfiguration.Builder base(WorkspaceMode mode) {
        return IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), mode);
    }

    /** Everything a network computes for (x, y) that should not depend on the workspace mode. */
    private interface Run {
        List<INDArray> results(INDArray x, INDArray y);
    }

    private static void assertSameInBothModes(Case c, java.util.function.Function<WorkspaceMode, Run> net) {
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, c.layout().shape(MINIBATCH));
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, c.layout().labelShape(MINIBATCH));
        INDArray xBefore = x.dup();
        List<INDArray> enabled = net.apply(WorkspaceMode.ENABLED).results(x, y);
        List<INDArray> none = net.apply(WorkspaceMode.NONE).results(x, y);
        assertEquals(enabled.size(), none.size());
        for (int i = 0; i < enabled.size(); i++) {
            assertEquals(none.get(i), enabled.get(i), c + ": result " + i + " differs between ENABLED and NONE");
        }
        assertEquals(xBefore, x, c + ": the features changed");
    }

    private static List<INDArray> runMln(MultiLayerNetwork net, INDArray x, INDArray y) {
        List<INDArray> results = new ArrayList<>();
        INDArray initial = net.params().dup();
        for (int i = 0; i < ITERATIONS; i++) {
            Nd4j.getRandom().setSeed(SEED + i);
            net.fit(new DataSet(x, y));
        }
        assertNotEquals(initial, net.params(), "fit must change the parameters");
        results.add(net.params().dup());
        results.add(net.output(x));
        Nd4j.getRandom().setSeed(SEED);
        results.add(net.output(x, true));
        results.addAll(net.feedForward(x, false));
        Nd4j.getRandom().setSeed(SEED);
        results.addAll(net.feedForward(x, true));
        Nd4j.getRandom().setSeed(SEED);
        net.setInput(x);
        net.setLabels(y);
        net.computeGradientAndScore();
        results.add(net.gradient().gradient().dup());
        return results;
    }

    private static List<INDArray> runGraph(ComputationGraph net, INDArray x, INDArray y) {
        List<INDArray> results = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            Nd4j.getRandom().setSeed(SEED + i);
            net.fit(new DataSet(x, y));
        }
        results.add(net.params().dup());
        results.add(net.outputSingle(x));
        Nd4j.getRandom().setSeed(SEED);
        results.add(net.output(true, x)[0]);
        Map<String, INDArray> eval = net.feedForward(x, false);
        Nd4j.getRandom().setSeed(SEED);
        Map<String, INDArray> train = net.feedForward(x, true);
        for (String name : new String[] {"t", "drop", "out"}) {
            results.add(eval.get(name));
            results.add(train.get(name));
        }
        return results;
    }

    @ParameterizedTest(name = "{0}, inplace={1}")
    @MethodSource("casesAndInplace")
    void multiLayerNetworkSameInBothModes(Case c, boolean inplace) {
        assertSameInBothModes(c, mode -> (x, y) -> runMln(
                IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, inplace, base(mode))), x, y));
    }

    @ParameterizedTest(name = "{0}, inplace={1}")
    @MethodSource("casesAndInplace")
    void computationGraphSameInBothModes(Case c, boolean inplace) {
        assertSameInBothModes(c, mode -> (x, y) -> runGraph(
                IntegrationNets.graph(IntegrationNets.graphConf(c, 0.5, inplace, base(mode))), x, y));
    }

    /**
     * Dropout layers straight after the input and after each other, p = 0 among them: identity layers that may
     * hand the features on, where DL4J requires activations in its workspace.
     */
    @ParameterizedTest(name = "{0}, inplace={1}")
    @MethodSource("casesAndInplace")
    void consecutiveDropoutLayersAtTheInput(Case c, boolean inplace) {
        Layout layout = c.layout();
        assertSameInBothModes(c, mode -> (x, y) -> runMln(IntegrationNets.mln(base(mode).list()
                .layer(c.layer().apply(0.0, inplace))
                .layer(c.layer().apply(0.3, inplace))
                .layer(c.layer().apply(0.0, inplace))
                .layer(c.layer().apply(0.4, inplace))
                .layer(layout.trainable())
                .layer(layout.output())
                .setInputType(layout.inputType())
                .build()), x, y));
        assertSameInBothModes(c, mode -> (x, y) -> {
            ComputationGraph graph = IntegrationNets.graph(base(mode).graphBuilder()
                    .addInputs("in")
                    .setInputTypes(layout.inputType())
                    .addLayer("d0", c.layer().apply(0.0, inplace), "in")
                    .addLayer("d1", c.layer().apply(0.3, inplace), "d0")
                    .addLayer("t", layout.trainable(), "d1")
                    .addLayer("drop", c.layer().apply(0.0, inplace), "t")
                    .addLayer("out", layout.output(), "drop")
                    .setOutputs("out")
                    .build());
            return runGraph(graph, x, y);
        });
    }
}
