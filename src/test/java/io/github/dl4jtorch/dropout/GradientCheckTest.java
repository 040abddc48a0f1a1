package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Backprop is exact: DL4J's gradient checks (parameters of the trainable layer before the dropout layer) for
 * every layer and layout, in MultiLayerNetwork and ComputationGraph, and a direct finite-difference check of
 * the input gradient of the runtime layer alone. Both reseed ND4J's generator before every forward pass so the
 * mask is the same; with a different mask per pass they must fail, which shows they can.
 */
@ExtendWith(DoublePrecision.class)
class GradientCheckTest {

    private static final int MINIBATCH = 3;
    private static final long SEED = 12345;

    static Stream<Arguments> casesAndP() {
        return IntegrationNets.cases().stream().flatMap(c -> Stream.of(
                Arguments.of(c, 0.0, false), Arguments.of(c, 0.3, false), Arguments.of(c, 0.7, false),
                Arguments.of(c, 0.5, true)));
    }

    static List<Case> cases() {
        return IntegrationNets.cases();
    }

    private static NeuralNetConfiguration.Builder base() {
        return IntegrationNets.base(SEED, DataType.DOUBLE, new NoOp(), WorkspaceMode.ENABLED);
    }

    private static INDArray features(Case c) {
        return IntegrationNets.randn(1, DataType.DOUBLE, c.layout().shape(MINIBATCH));
    }

    private static INDArray labels(Case c) {
        return IntegrationNets.randn(2, DataType.DOUBLE, c.layout().labelShape(MINIBATCH));
    }

    private static boolean checkMln(MultiLayerNetwork net, Case c, org.nd4j.common.function.Consumer<MultiLayerNetwork> reseed) {
        return GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                .input(features(c)).labels(labels(c))
                .callEachIter(reseed)
                .exitOnFirstError(true)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
    }

    @ParameterizedTest(name = "{0}, p={1}, inplace={2}")
    @MethodSource("casesAndP")
    void multiLayerNetwork(Case c, double p, boolean inplace) {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, p, inplace, base()));
        assertTrue(checkMln(net, c, n -> Nd4j.getRandom().setSeed(SEED)), c + " p=" + p + " inplace=" + inplace);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void computationGraph(Case c) {
        ComputationGraph net = IntegrationNets.graph(IntegrationNets.graphConf(c, 0.4, false, base()));
        boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(net)
                .inputs(new INDArray[] {features(c)}).labels(new INDArray[] {labels(c)})
                .callEachIter(g -> Nd4j.getRandom().setSeed(SEED))
                .exitOnFirstError(true)
                .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
        assertTrue(ok, c.toString());
    }

    /** A mask that changes between passes must make the check fail, for an element-wise and a channel layer. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientCheckFailsWithADifferentMaskEachPass(Case c) {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, false, base()));
        AtomicLong seed = new AtomicLong(SEED);
        assertFalse(checkMln(net, c, n -> Nd4j.getRandom().setSeed(seed.getAndIncrement())),
                c + ": the gradient check cannot detect a wrong mask");
    }

    // ---------------------------------------------------------------- direct check of the input gradient

    /** The layer alone, its channel axis given explicitly, and an input shape. */
    record Alone(String name, AbstractDropout layer, long... shape) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Alone> alone() {
        return List.of(
                new Alone("Dropout rank 2", new Dropout(0.4), 3, 5),
                new Alone("Dropout rank 4", new Dropout(0.4), 2, 3, 2, 2),
                new Alone("AlphaDropout rank 2", new AlphaDropout(0.4), 3, 5),
                new Alone("AlphaDropout rank 3", new AlphaDropout(0.2), 2, 3, 4),
                new Alone("Dropout1d NCW", new Dropout1d.Builder().p(0.4).dataFormat(RNNFormat.NCW).build(), 3, 3, 4),
                new Alone("Dropout1d NWC", new Dropout1d.Builder().p(0.4).dataFormat(RNNFormat.NWC).build(), 3, 4, 3),
                new Alone("Dropout2d NCHW", new Dropout2d.Builder().p(0.4).dataFormat(CNN2DFormat.NCHW).build(),
                        3, 3, 2, 2),
                new Alone("Dropout2d NHWC", new Dropout2d.Builder().p(0.4).dataFormat(CNN2DFormat.NHWC).build(),
                        3, 2, 2, 3),
                new Alone("Dropout3d NCDHW", new Dropout3d.Builder().p(0.4)
                        .dataFormat(Convolution3D.DataFormat.NCDHW).build(), 2, 3, 2, 2, 2),
                new Alone("Dropout3d NDHWC", new Dropout3d.Builder().p(0.4)
                        .dataFormat(Convolution3D.DataFormat.NDHWC).build(), 2, 2, 2, 2, 3),
                new Alone("FeatureAlphaDropout FF", new FeatureAlphaDropout(0.4), 3, 5),
                new Alone("FeatureAlphaDropout NCHW", new FeatureAlphaDropout.Builder().p(0.4)
                        .dataFormat(CNN2DFormat.NCHW).build(), 3, 3, 2, 2),
                new Alone("FeatureAlphaDropout NHWC", new FeatureAlphaDropout.Builder().p(0.4)
                        .dataFormat(CNN2DFormat.NHWC).build(), 3, 2, 2, 3),
                new Alone("Dropout2d NHWC p=1", new Dropout2d.Builder().p(1).dataFormat(CNN2DFormat.NHWC).build(),
                        2, 2, 2, 3),
                new Alone("Dropout in place", new Dropout(0.4, true), 3, 5),
                new Alone("FeatureAlphaDropout NHWC in place", new FeatureAlphaDropout.Builder().p(0.4).inplace(true)
                        .dataFormat(CNN2DFormat.NHWC).build(), 3, 2, 2, 3));
    }

    private static org.deeplearning4j.nn.api.Layer instantiate(AbstractDropout layer) {
        NeuralNetConfiguration conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE).layer(layer)
                .build();
        org.deeplearning4j.nn.api.Layer runtime = conf.getLayer().instantiate(conf, Collections.emptyList(), 0, null,
                true, DataType.DOUBLE);
        // As DL4J does for layers 1..n-1 of a MultiLayerNetwork: lets the in-place variants write into the input.
        runtime.allowInputModification(true);
        return runtime;
    }

    /** sum(w * layer(x)) in training, the generator seeded with {@code seed} first. */
    private static double objective(org.deeplearning4j.nn.api.Layer layer, INDArray x, INDArray w, long seed) {
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        layer.setInput(x.dup(), mgr); // a copy: the in-place variants overwrite it
        Nd4j.getRandom().setSeed(seed);
        return w.mul(layer.activate(true, mgr)).sumNumber().doubleValue();
    }

    /** Largest |analytic - numeric| of the input gradient; {@code seedOfPass} gives the seed of numeric pass i. */
    private static double maxInputGradientError(Alone a, java.util.function.LongUnaryOperator seedOfPass) {
        org.deeplearning4j.nn.api.Layer layer = instantiate(a.layer());
        LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
        INDArray x = IntegrationNets.randn(3, DataType.DOUBLE, a.shape());
        INDArray w = IntegrationNets.randn(4, DataType.DOUBLE, a.shape());

        INDArray in = x.dup();
        layer.setInput(in, mgr);
        Nd4j.getRandom().setSeed(SEED);
        INDArray out = layer.activate(true, mgr);
        if (a.layer().isInplace()) {
            assertSame(in, out, a + ": in place, the output must be the input array");
        } else {
            assertEquals(x, in, a + ": the input must be left as it was");
        }
        INDArray analytic = layer.backpropGradient(w.dup(), mgr).getSecond();
        assertEquals(DataType.DOUBLE, analytic.dataType());

        double h = 1e-6;
        double maxError = 0;
        long pass = 0;
        for (long i = 0; i < x.length(); i++) {
            double original = x.getDouble(i);
            x.putScalar(i, original + h);
            double plus = objective(layer, x, w, seedOfPass.applyAsLong(pass++));
            x.putScalar(i, original - h);
            double minus = objective(layer, x, w, seedOfPass.applyAsLong(pass++));
            x.putScalar(i, original);
            double numeric = (plus - minus) / (2 * h);
            maxError = Math.max(maxError, Math.abs(numeric - analytic.getDouble(i)));
        }
        return maxError;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("alone")
    void inputGradientMatchesFiniteDifferences(Alone a) {
        double error = maxInputGradientError(a, pass -> SEED);
        assertTrue(error < 1e-7, a + ": max |analytic - numeric| = " + error);
    }

    @Test
    void inputGradientCheckFailsWithADifferentMaskEachPass() {
        for (Alone a : alone()) {
            if (a.layer().getP() == 1) {
                continue; // p = 1 draws no mask: every pass gives zeros
            }
            double error = maxInputGradientError(a, pass -> SEED + 1 + pass);
            assertTrue(error > 1e-2, a + ": a wrong mask went unnoticed (max error " + error + ")");
        }
    }
}
