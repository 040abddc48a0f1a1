package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.IntegrationNets.CHANNELS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import io.github.dl4jtorch.dropout.IntegrationNets.Layout;
import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.layers.AbstractLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The layers inside real DL4J networks: evaluation vs training (S70), channel axes (S71), in-place (S72). */
class NetworkIntegrationTest {

    private static final int MINIBATCH = 4;
    private static final long SEED = 12345;

    static List<Case> cases() {
        return IntegrationNets.cases();
    }

    static List<Case> channelCases() {
        return IntegrationNets.channelCases();
    }

    private static NeuralNetConfiguration.Builder base() {
        return IntegrationNets.base(SEED, DataType.FLOAT, new Sgd(0.1), WorkspaceMode.ENABLED);
    }

    private static INDArray input(Layout layout) {
        return IntegrationNets.randn(7, DataType.FLOAT, layout.shape(MINIBATCH));
    }

    private static INDArray labels(Layout layout) {
        return IntegrationNets.randn(8, DataType.FLOAT, layout.labelShape(MINIBATCH));
    }

    // ---------------------------------------------------------------- S70

    /** Network trainable -> output with the parameters of {@code withDropout}: what eval must equal. */
    private static MultiLayerNetwork withoutDropout(Case c, MultiLayerNetwork withDropout) {
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(c.layout().trainable())
                .layer(c.layout().output())
                .setInputType(c.layout().inputType())
                .build());
        net.setParams(withDropout.params());
        return net;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S70_evaluationIsIdentityTrainingDrops_multiLayerNetwork(Case c) {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, false, base()));
        MultiLayerNetwork plain = withoutDropout(c, net);
        INDArray x = input(c.layout());

        INDArray expected = plain.output(x);
        assertEquals(expected, net.output(x), "eval output must equal the network without the dropout layer");
        assertEquals(expected, net.output(x, false));
        List<INDArray> eval = net.feedForward(x, false);
        assertEquals(eval.get(1), eval.get(2), "dropout activation in eval must equal its input");

        Nd4j.getRandom().setSeed(1);
        INDArray trained = net.output(x, true);
        assertNotEquals(expected, trained, "output(x, true) must drop");
        Nd4j.getRandom().setSeed(1);
        List<INDArray> train = net.feedForward(x, true);
        assertNotEquals(train.get(1), train.get(2), "dropout activation in training must differ from its input");
        assertDropoutOf(c, 0.5, train.get(1), train.get(2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S70_evaluationIsIdentityTrainingDrops_computationGraph(Case c) {
        ComputationGraph net = IntegrationNets.graph(IntegrationNets.graphConf(c, 0.5, false, base()));
        MultiLayerNetwork plain = withoutDropout(c, IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, false, base())));
        plain.setParams(net.params()); // same parameter order: trainable, then output
        INDArray x = input(c.layout());

        INDArray expected = plain.output(x);
        assertEquals(expected, net.outputSingle(x));
        assertEquals(expected, net.output(false, x)[0]);
        Map<String, INDArray> eval = net.feedForward(x, false);
        assertEquals(eval.get("t"), eval.get("drop"));

        Nd4j.getRandom().setSeed(1);
        assertNotEquals(expected, net.output(true, x)[0], "output(true, x) must drop");
        Nd4j.getRandom().setSeed(1);
        Map<String, INDArray> train = net.feedForward(x, true);
        assertDropoutOf(c, 0.5, train.get("t"), train.get("drop"));
    }

    /**
     * Checks {@code y} is a dropout of {@code x}: every lane kept (scaled, or affine for alpha) or dropped (0, or
     * the saturation value), with both kinds present.
     */
    private static void assertDropoutOf(Case c, double p, INDArray x, INDArray y) {
        double[] xs = x.dup().data().asDouble();
        double[] ys = y.dup().data().asDouble();
        double a = 1 / Math.sqrt((DropoutKernel.SELU_ALPHA_TIMES_SCALE * DropoutKernel.SELU_ALPHA_TIMES_SCALE * p + 1)
                * (1 - p));
        double keptFactor = c.alpha() ? a : 1 / (1 - p);
        double keptShift = c.alpha() ? DropoutKernel.SELU_ALPHA_TIMES_SCALE * a * p : 0;
        double dropped = c.alpha() ? -DropoutKernel.SELU_ALPHA_TIMES_SCALE * a + keptShift : 0;
        int kept = 0;
        int drops = 0;
        for (int i = 0; i < xs.length; i++) {
            if (Math.abs(ys[i] - (xs[i] * keptFactor + keptShift)) < 1e-5) {
                kept++;
            } else if (Math.abs(ys[i] - dropped) < 1e-5) {
                drops++;
            } else {
                throw new AssertionError(c + ": lane " + i + " is neither kept nor dropped: x=" + xs[i] + " y=" + ys[i]);
            }
        }
        assertTrue(kept > 0 && drops > 0, c + ": expected kept and dropped lanes, got " + kept + " / " + drops);
    }

    // ---------------------------------------------------------------- S71

    /**
     * Whether each (example, channel) of {@code y} along {@code channelAxis} is all dropped or all kept;
     * returns the number of dropped channels, -1 if some channel is mixed.
     */
    private static int droppedChannels(INDArray y, double droppedValue, int channelAxis) {
        int dropped = 0;
        for (int n = 0; n < y.size(0); n++) {
            for (int ch = 0; ch < y.size(channelAxis); ch++) {
                INDArray slice = y.get(indexFor(y.rank(), channelAxis, n, ch));
                long droppedLanes = countNear(slice, droppedValue);
                if (droppedLanes == slice.length()) {
                    dropped++;
                } else if (droppedLanes != 0) {
                    return -1;
                }
            }
        }
        return dropped;
    }

    private static long countNear(INDArray a, double value) {
        long count = 0;
        for (double v : a.dup().data().asDouble()) {
            if (Math.abs(v - value) < 1e-6) {
                count++;
            }
        }
        return count;
    }

    private static org.nd4j.linalg.indexing.INDArrayIndex[] indexFor(int rank, int channelAxis, long n, long ch) {
        org.nd4j.linalg.indexing.INDArrayIndex[] index = new org.nd4j.linalg.indexing.INDArrayIndex[rank];
        for (int d = 0; d < rank; d++) {
            index[d] = d == 0 ? NDArrayIndex.point(n) : d == channelAxis ? NDArrayIndex.point(ch) : NDArrayIndex.all();
        }
        return index;
    }

    private static double droppedValue(Case c, double p) {
        if (!c.alpha()) {
            return 0;
        }
        double a = 1 / Math.sqrt((DropoutKernel.SELU_ALPHA_TIMES_SCALE * DropoutKernel.SELU_ALPHA_TIMES_SCALE * p + 1)
                * (1 - p));
        return (float) (-DropoutKernel.SELU_ALPHA_TIMES_SCALE * a + DropoutKernel.SELU_ALPHA_TIMES_SCALE * a * p);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("channelCases")
    void S71_channelAxisFromTheDl4jFormat(Case c) {
        int minibatch = 8;
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, false, base()));
        INDArray x = IntegrationNets.randn(3, DataType.FLOAT, c.layout().shape(minibatch));
        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> ff = net.feedForward(x, true);
        INDArray y = ff.get(2);
        double droppedValue = droppedValue(c, 0.5);

        int dropped = droppedChannels(y, droppedValue, c.layout().channelAxis);
        assertTrue(dropped >= 0, c + ": a channel along axis " + c.layout().channelAxis + " is partly dropped");
        assertTrue(dropped > 0 && dropped < minibatch * CHANNELS, c + ": dropped " + dropped + " channels");
        assertDropoutOf(c, 0.5, ff.get(1), y);
        if (c.layout().channelAxis != 1) {
            // Channels-last: a mask drawn per (example, axis 1), as SpatialDropout draws it, would look different.
            assertEquals(-1, droppedChannels(y, droppedValue, 1), c + ": mask is per axis 1, not per channel");
        }
    }

    /** Contrast: DL4J's SpatialDropout on NHWC activations masks along axis 1 (height), not channels. */
    @Test
    void S71_dl4jSpatialDropoutUsesAxis1EvenForNhwc() {
        int minibatch = 8;
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(new ActivationLayer.Builder().activation(Activation.IDENTITY).build())
                .layer(new org.deeplearning4j.nn.conf.layers.DropoutLayer(new SpatialDropout(0.5)))
                .layer(Layout.NHWC.output())
                .setInputType(Layout.NHWC.inputType())
                .build());
        INDArray x = IntegrationNets.randn(3, DataType.FLOAT, Layout.NHWC.shape(minibatch));
        Nd4j.getRandom().setSeed(SEED);
        INDArray y = net.feedForward(x, true).get(2);
        assertEquals(-1, droppedChannels(y, 0, 3), "SpatialDropout is expected to mix channels in NHWC");
        assertTrue(droppedChannels(y, 0, 1) > 0, "SpatialDropout is expected to drop whole axis-1 slices");

        Case ours = channelCases().stream().filter(c -> c.name().equals("Dropout2d NHWC")).findFirst().orElseThrow();
        MultiLayerNetwork ourNet = IntegrationNets.mln(IntegrationNets.mlnConf(ours, 0.5, false, base()));
        Nd4j.getRandom().setSeed(SEED);
        INDArray ourY = ourNet.feedForward(x, true).get(2);
        assertTrue(droppedChannels(ourY, 0, 3) > 0, "Dropout2d drops whole NHWC channels");
    }

    // ---------------------------------------------------------------- S72

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S72_inplaceOverwritesPreviousActivationInMultiLayerNetwork(Case c) {
        INDArray x = input(c.layout());
        for (boolean inplace : new boolean[] {true, false}) {
            MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, inplace, base()));
            INDArray before = x.dup();
            INDArray evalActivation = net.feedForward(x, false).get(1);
            Nd4j.getRandom().setSeed(SEED);
            List<INDArray> ff = net.feedForward(x, true);
            INDArray previous = ff.get(1);
            INDArray dropped = ff.get(2);
            assertEquals(before, x, "the network's input must never change");
            if (inplace) {
                assertEquals(dropped, previous, c + ": inplace=true must overwrite the previous layer's activation");
                assertNotEquals(evalActivation, previous);
            } else {
                assertEquals(evalActivation, previous, c + ": inplace=false must leave the previous activation");
                assertNotEquals(dropped, previous);
            }
            // In place or not, the same seed gives the same result.
            assertDropoutOf(c, 0.5, evalActivation, dropped);
        }
    }

    /**
     * Runs {@code net} in training every way (feedForward, output, fit) and checks the features did not change;
     * layer {@code dropping} is the in-place dropout layer.
     */
    private static void assertTrainingLeavesFeatures(Case c, MultiLayerNetwork net, int dropping, INDArray x,
                                                     INDArray y) {
        INDArray before = x.dup();
        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> ff = net.feedForward(x, true);
        assertNotEquals(before, ff.get(dropping + 1), c + ": training must drop");
        net.output(x, true);
        net.fit(new DataSet(x, y));
        assertEquals(before, x, c + ": the network's features changed");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S72_inplaceNeverModifiesTheNetworkInput(Case c) {
        Layout layout = c.layout();
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(c.layer().apply(0.5, true))
                .layer(layout.trainable())
                .layer(layout.output())
                .setInputType(layout.inputType())
                .build());
        assertTrainingLeavesFeatures(c, net, 0, input(layout), labels(layout));
    }

    /** {@code first}, then the case's layer with p = 0.5 in place, then a trainable layer and the output. */
    private static MultiLayerNetwork inplaceDropoutAfter(org.deeplearning4j.nn.conf.layers.Layer first, Case c) {
        Layout layout = c.layout();
        return IntegrationNets.mln(base().list()
                .layer(first)
                .layer(c.layer().apply(0.5, true))
                .layer(layout.trainable())
                .layer(layout.output())
                .setInputType(layout.inputType())
                .build());
    }

    /** An identity (p = 0) dropout as layer 0 must not hand the features on to an in-place layer 1. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S72_inplaceAfterAnIdentityLayerLeavesNetworkInput(Case c) {
        Layout layout = c.layout();
        MultiLayerNetwork net = inplaceDropoutAfter(c.layer().apply(0.0, false), c);
        INDArray x = input(layout);
        INDArray y = labels(layout);
        INDArray before = x.dup();
        assertTrainingLeavesFeatures(c, net, 1, x, y);

        ComputationGraph graph = IntegrationNets.graph(base().graphBuilder()
                .addInputs("in")
                .setInputTypes(layout.inputType())
                .addLayer("identity", c.layer().apply(0.0, false), "in")
                .addLayer("drop", c.layer().apply(0.5, true), "identity")
                .addLayer("t", layout.trainable(), "drop")
                .addLayer("out", layout.output(), "t")
                .setOutputs("out")
                .build());
        graph.feedForward(x, true);
        graph.output(true, x);
        graph.fit(new DataSet(x, y));
        assertEquals(before, x, c + ": the features changed in a ComputationGraph");
    }

    /**
     * DL4J's own pass-through layers (here its DropoutLayer without dropout) hand the features on unchanged, so
     * the features can reach an in-place layer 1 that DL4J allows to modify its input. Where activations live
     * in workspaces ({@code output(x, true)}), our layer recognises them as arrays from outside the network: it
     * neither writes into them nor returns them as its activations, which DL4J's workspace validation rejects.
     * (Not {@code fit}: DL4J rejects such a network there whatever layer 1 is. In detached {@code feedForward}
     * or without workspaces nothing tells the features from an activation, and DL4J's permission holds, as for
     * its own dropout.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S72_inplaceAfterADl4jPassThroughLayerLeavesNetworkInput(Case c) {
        MultiLayerNetwork net = inplaceDropoutAfter(new org.deeplearning4j.nn.conf.layers.DropoutLayer.Builder().build(), c);
        INDArray x = input(c.layout());
        INDArray before = x.dup();
        INDArray first = net.output(x, true);
        INDArray second = net.output(x, true);
        assertNotEquals(first, second, c + ": training must drop");
        assertEquals(before, x, c + ": the network's features changed");
    }

    /**
     * One activation ("t") feeds a Dense layer and, last in topological order, our Dropout(inplace=true): DL4J
     * grants the dropout permission to modify "t" although the Dense layer still needs it for backprop.
     */
    private static ComputationGraphConfiguration sharedActivationGraph(org.deeplearning4j.nn.conf.layers.Layer drop) {
        return base().graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(CHANNELS))
                .addLayer("t", new DenseLayer.Builder().nOut(5).activation(Activation.TANH).build(), "in")
                .addLayer("dense", new DenseLayer.Builder().nOut(4).activation(Activation.TANH).build(), "t")
                .addLayer("drop", drop, "t")
                .addVertex("merge", new MergeVertex(), "dense", "drop")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY)
                        .build(), "merge")
                .setOutputs("out")
                .build();
    }

    private static int topologicalPosition(ComputationGraph graph, String name) {
        int[] order = graph.topologicalSortOrder();
        GraphVertex[] vertices = graph.getVertices();
        for (int i = 0; i < order.length; i++) {
            if (vertices[order[i]].getVertexName().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void S72_unsafeComputationGraphCaseKeepsGradientsExact() {
        // Precondition: this is the case where DL4J grants permission (its own DropoutLayer gets it).
        ComputationGraph dl4j = IntegrationNets.graph(
                sharedActivationGraph(new org.deeplearning4j.nn.conf.layers.DropoutLayer(0.5)));
        assertTrue(topologicalPosition(dl4j, "drop") > topologicalPosition(dl4j, "dense"));
        assertTrue(((AbstractLayer<?>) dl4j.getLayer("drop")).isInputModificationAllowed(),
                "DL4J is expected to allow input modification to the last consumer");

        ComputationGraph inplace = IntegrationNets.graph(sharedActivationGraph(new Dropout(0.5, true)));
        ComputationGraph copying = IntegrationNets.graph(sharedActivationGraph(new Dropout(0.5, false)));
        assertEquals(copying.params(), inplace.params());
        assertTrue(topologicalPosition(inplace, "drop") > topologicalPosition(inplace, "dense"));

        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, MINIBATCH, CHANNELS);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, MINIBATCH, 2);
        for (ComputationGraph g : new ComputationGraph[] {inplace, copying}) {
            g.setInputs(x);
            g.setLabels(y);
            Nd4j.getRandom().setSeed(SEED);
            g.computeGradientAndScore();
        }
        assertEquals(copying.score(), inplace.score(), 1e-6);
        assertEquals(copying.gradient().gradient(), inplace.gradient().gradient(),
                "gradients with inplace=true must equal those with inplace=false");
        assertEquals(copying.gradient().getGradientFor("dense_W"), inplace.gradient().getGradientFor("dense_W"));
        assertFalse(((AbstractLayer<?>) inplace.getLayer("drop")).isInputModificationAllowed(),
                "our layer must refuse DL4J's permission inside a ComputationGraph");

        // And the shared activation is left as it was.
        Map<String, INDArray> eval = inplace.feedForward(x, false);
        Nd4j.getRandom().setSeed(SEED);
        Map<String, INDArray> train = inplace.feedForward(x, true);
        assertEquals(eval.get("t"), train.get("t"));
        assertNotEquals(train.get("t"), train.get("drop"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void S72_inplaceNeverModifiesInputInComputationGraph(Case c) {
        ComputationGraph net = IntegrationNets.graph(IntegrationNets.graphConf(c, 0.5, true, base()));
        assertFalse(((AbstractLayer<?>) net.getLayer("drop")).isInputModificationAllowed());
        INDArray x = input(c.layout());
        INDArray before = x.dup();
        Map<String, INDArray> eval = net.feedForward(x, false);
        Nd4j.getRandom().setSeed(SEED);
        Map<String, INDArray> train = net.feedForward(x, true);
        assertEquals(eval.get("t"), train.get("t"), c + ": the layer's input activation changed");
        assertDropoutOf(c, 0.5, train.get("t"), train.get("drop"));
        assertEquals(before, x);
    }
}
