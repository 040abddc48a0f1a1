package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * {@link TorchDropout}, the {@code IDropout} form: the same values as the layers and {@link Functional} for the same
 * seed, every place DL4J takes an {@code IDropout}, exact gradients (DL4J's gradient checks), and the state rules
 * where DL4J's own {@code Dropout} fails: one instance on several layers, two backward passes through one forward
 * pass, two networks sharing one configuration on two threads. Each DL4J failure is shown next to ours.
 */
@ExtendWith(DoublePrecision.class)
class TorchDropoutTest {

    private static final long SEED = 12345;
    private static final int MINIBATCH = 3;
    private static final int WIDTH = 5;
    private static final String GOLDEN = "/golden/multilayer-torch-dropout.json";

    // ---------------------------------------------------------------- values: the same as the layers' kernel

    static Stream<TorchDropout> variants() {
        return Stream.of(new TorchDropout(0.3),
                TorchDropout.from(new Dropout.Builder().p(0.4).sharedAxes(2).build()),
                TorchDropout.from(new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NCHW).build()),
                TorchDropout.from(new AlphaDropout(0.2)),
                TorchDropout.from(new FeatureAlphaDropout(0.25)));
    }

    /** What {@link Functional} gives for the variant on channels-first input, with the same generator state. */
    private static INDArray functional(AbstractDropout variant, INDArray x) {
        double p = variant.getP();
        if (variant instanceof Dropout d) {
            return d.getSharedAxes() == null ? Functional.dropout(x, p, true, false)
                    : Functional.dropout(x, p, true, false, d.getSharedAxes());
        }
        if (variant instanceof Dropout2d) {
            return Functional.dropout2d(x, p, true, false);
        }
        if (variant instanceof AlphaDropout) {
            return Functional.alphaDropout(x, p, true, false);
        }
        return Functional.featureAlphaDropout(x, p, true, false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void forwardEqualsFunctionalForTheSameSeed(TorchDropout dropout) {
        for (DataType type : List.of(DataType.FLOAT, DataType.DOUBLE)) {
            INDArray x = IntegrationNets.randn(1, type, 4, 3, 5, 6);
            INDArray before = x.dup();
            Nd4j.getRandom().setSeed(SEED);
            INDArray out = Nd4j.createUninitialized(type, x.shape());
            assertSame(out, dropout.applyDropout(x, out, 0, 0, LayerWorkspaceMgr.noWorkspaces()));
            Nd4j.getRandom().setSeed(SEED);
            assertSameBits(functional(dropout.getVariant(), x), out, dropout + " " + type);
            assertSameBits(before, x, "input modified");
            assertFalse(out.equals(x), "nothing dropped");
        }
    }

    /** Channels-last: the mask of (example, channel) is the channels-first one, on axis 3. */
    @Test
    void channelsLastMasksChannelsOnTheLastAxis() {
        TorchDropout nhwc = TorchDropout.from(new Dropout2d.Builder().p(0.5).dataFormat(CNN2DFormat.NHWC).build());
        INDArray nchw = IntegrationNets.randn(2, DataType.FLOAT, 4, 3, 5, 6);
        INDArray x = nchw.permute(0, 2, 3, 1).dup('c');
        Nd4j.getRandom().setSeed(SEED);
        INDArray out = nhwc.applyDropout(x, x.ulike(), 0, 0, LayerWorkspaceMgr.noWorkspaces());
        Nd4j.getRandom().setSeed(SEED);
        assertSameBits(Functional.dropout2d(nchw, 0.5, true, false).permute(0, 2, 3, 1), out, "NHWC");
    }

    /** Backprop writes into {@code gradAtInput} (DL4J ignores the return value) with the forward's mask. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void backpropWritesTheMaskedGradientIntoGradAtInput(TorchDropout dropout) {
        INDArray x = Nd4j.ones(DataType.DOUBLE, 4, 3, 5, 6);
        INDArray y = dropout.applyDropout(x, x.ulike(), 7, 1, LayerWorkspaceMgr.noWorkspaces());
        INDArray grad = Nd4j.ones(DataType.DOUBLE, 4, 3, 5, 6);
        dropout.backprop(grad, grad, 7, 1);
        double scale = dropout.getVariant() instanceof AlphaDropout || dropout.getVariant() instanceof FeatureAlphaDropout
                ? alphaA(dropout.getVariant().getP()) : 1 / (1 - dropout.getVariant().getP());
        // The forward's mask: where y is x's kept value the gradient is the factor, elsewhere 0.
        INDArray kept = dropout.getVariant() instanceof AlphaDropout || dropout.getVariant() instanceof FeatureAlphaDropout
                ? y.neq(y.minNumber()) : y.neq(0);
        assertEquals(kept.castTo(DataType.DOUBLE).mul(scale), grad);
    }

    private static double alphaA(double p) {
        double alpha = 1.7580993408473766;
        return 1 / Math.sqrt((alpha * alpha * p + 1) * (1 - p));
    }

    @Test
    void pOneZeroesAndPZeroIsTheIdentity() {
        INDArray x = Nd4j.create(new double[] {1, -2, Double.NaN, 4}, 2, 2);
        INDArray out = x.ulike();
        new TorchDropout(1).applyDropout(x, out, 0, 0, LayerWorkspaceMgr.noWorkspaces());
        assertSameBits(x.mul(0), out, "p = 1 gives x * 0");
        TorchDropout identity = new TorchDropout(0);
        INDArray same = x.ulike();
        identity.applyDropout(x, same, 0, 0, LayerWorkspaceMgr.noWorkspaces());
        assertSameBits(x, same, "p = 0 copies");
        INDArray grad = Nd4j.create(new double[] {5, 6, 7, 8}, 2, 2);
        INDArray gradIn = grad.ulike();
        identity.backprop(grad, gradIn, 0, 0);
        assertEquals(grad, gradIn);
    }

    @ParameterizedTest
    @ValueSource(doubles = {-0.1, 1.5, Double.NaN})
    void badProbabilitiesFailWithPyTorchsMessage(double p) {
        DropoutChecks.assertFailsWith(DropoutChecks.rangeMessage(String.valueOf(p)), () -> new TorchDropout(p));
    }

    @Test
    void backpropWithoutForwardFailsClearly() {
        TorchDropout dropout = new TorchDropout(0.5);
        INDArray grad = Nd4j.ones(2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dropout.backprop(grad, grad, 0, 0));
        assertTrue(e.getMessage().contains("without a training forward pass"), e.getMessage());
        assertEquals(Nd4j.ones(2, 3), grad, "gradient modified");
        dropout.applyDropout(Nd4j.ones(2, 3), Nd4j.ones(2, 3), 0, 0, LayerWorkspaceMgr.noWorkspaces());
        dropout.clear();
        assertThrows(IllegalStateException.class, () -> dropout.backprop(grad, grad, 0, 0), "after clear()");
    }

    // ---------------------------------------------------------------- networks: where DL4J takes an IDropout

    /** For gradient checks: no updater. */
    private static NeuralNetConfiguration.Builder base() {
        return base(new NoOp());
    }

    private static NeuralNetConfiguration.Builder base(org.nd4j.linalg.learning.config.IUpdater updater) {
        return new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE).updater(updater)
                .weightInit(WeightInit.XAVIER);
    }

    private static DenseLayer.Builder dense() {
        return new DenseLayer.Builder().nIn(WIDTH).nOut(WIDTH).activation(Activation.TANH);
    }

    private static OutputLayer.Builder output() {
        return new OutputLayer.Builder(LossFunction.MCXENT).nIn(WIDTH).nOut(3).activation(Activation.SOFTMAX);
    }

    /** dense -> dense -> dense -> output, the last three with {@code dropout} (one instance) on their input. */
    private static MultiLayerConfiguration sharedInstance(IDropout dropout) {
        return sharedInstance(dropout, base());
    }

    private static MultiLayerConfiguration sharedInstance(IDropout dropout, NeuralNetConfiguration.Builder base) {
        return base.list()
                .layer(dense().build())
                .layer(dense().dropOut(dropout).build())
                .layer(dense().dropOut(dropout).build())
                .layer(output().dropOut(dropout).build())
                .build();
    }

    private static INDArray features() {
        return IntegrationNets.randn(1, DataType.DOUBLE, MINIBATCH, WIDTH);
    }

    private static INDArray labels() {
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, MINIBATCH, 3);
        for (int i = 0; i < MINIBATCH; i++) {
            labels.putScalar(i, i % 3, 1);
        }
        return labels;
    }

    private static boolean gradientsExact(MultiLayerNetwork net) {
        return IntegrationNets.gradientsExact(net, features(), labels(), SEED);
    }

    /** The instance on three layers' builders: DL4J stores it as is, so all three layers call one object. */
    @Test
    void oneInstanceOnSeveralLayersHasExactGradients() {
        TorchDropout dropout = new TorchDropout(0.4);
        MultiLayerNetwork net = IntegrationNets.mln(sharedInstance(dropout));
        assertSame(net.getLayer(1).conf().getLayer().getIDropout(), net.getLayer(3).conf().getLayer().getIDropout());
        assertTrue(gradientsExact(net));
    }

    /** DL4J's defect: its Dropout keeps one mask per instance and drops it after one backprop. */
    @Test
    void dl4jOwnDropoutFailsWhenOneInstanceIsOnSeveralLayers() {
        MultiLayerNetwork net = IntegrationNets.mln(sharedInstance(new org.deeplearning4j.nn.conf.dropout.Dropout(0.6)));
        Exception e = assertThrows(Exception.class, () -> net.fit(features(), labels()));
        assertTrue(String.valueOf(e.getMessage()).contains("Dropout mask array is absent"), e.toString());
    }

    /** dense -> dense(drop) -> dense(drop): no output layer, so that a gradient can be pushed in by hand. */
    private static MultiLayerNetwork withoutOutputLayer(IDropout dropout) {
        return IntegrationNets.mln(base().list()
                .layer(dense().build())
                .layer(dense().dropOut(dropout).build())
                .layer(dense().dropOut(dropout).build())
                .build());
    }

    private static List<INDArray> backpropTwiceAfterOneForward(MultiLayerNetwork net) {
        Nd4j.getRandom().setSeed(SEED);
        net.setInput(features());
        net.feedForward(true, false);
        INDArray epsilon = IntegrationNets.randn(3, DataType.DOUBLE, MINIBATCH, WIDTH);
        INDArray first = net.backpropGradient(epsilon.dup(), LayerWorkspaceMgr.noWorkspaces()).getFirst().gradient().dup();
        INDArray second = net.backpropGradient(epsilon.dup(), LayerWorkspaceMgr.noWorkspaces()).getFirst().gradient().dup();
        return List.of(first, second);
    }

    @Test
    void twoBackwardPassesThroughOneForwardPassGiveTheSameGradient() {
        List<INDArray> gradients = backpropTwiceAfterOneForward(withoutOutputLayer(new TorchDropout(0.5)));
        assertEquals(gradients.get(0), gradients.get(1));
        // ... and that gradient is the forward pass's: a network without the second backprop agrees.
        MultiLayerNetwork fresh = withoutOutputLayer(new TorchDropout(0.5));
        Nd4j.getRandom().setSeed(SEED);
        fresh.setInput(features());
        fresh.feedForward(true, false);
        INDArray epsilon = IntegrationNets.randn(3, DataType.DOUBLE, MINIBATCH, WIDTH);
        assertEquals(gradients.get(0),
                fresh.backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces()).getFirst().gradient());
    }

    @Test
    void dl4jOwnDropoutFailsOnTheSecondBackwardPass() {
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(dense().build())
                .layer(dense().dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(0.5)).build())
                .build());
        Exception e = assertThrows(Exception.class, () -> backpropTwiceAfterOneForwardOneLayer(net));
        assertTrue(String.valueOf(e.getMessage()).contains("Dropout mask array is absent"), e.toString());
    }

    private static void backpropTwiceAfterOneForwardOneLayer(MultiLayerNetwork net) {
        net.setInput(features());
        net.feedForward(true, false);
        INDArray epsilon = IntegrationNets.randn(3, DataType.DOUBLE, MINIBATCH, WIDTH);
        net.backpropGradient(epsilon.dup(), LayerWorkspaceMgr.noWorkspaces());
        net.backpropGradient(epsilon.dup(), LayerWorkspaceMgr.noWorkspaces());
    }

    /** Network-wide: DL4J copies the instance into every layer (a clone each); our own layers ignore it. */
    @Test
    void networkWideSettingReachesEveryLayerAndHasExactGradients() {
        MultiLayerConfiguration conf = base().dropOut(new TorchDropout(0.3)).list()
                .layer(dense().build())
                .layer(new Dropout(0.2))
                .layer(dense().build())
                .layer(output().build())
                .build();
        MultiLayerNetwork net = IntegrationNets.mln(conf);
        for (int i : new int[] {0, 2, 3}) {
            assertEquals(new TorchDropout(0.3), net.getLayer(i).conf().getLayer().getIDropout(), "layer " + i);
        }
        assertEquals(null, net.getLayer(1).conf().getLayer().getIDropout());
        assertTrue(gradientsExact(net));
    }

    /** DL4J's own DropoutLayer, given our IDropout, in a MultiLayerNetwork and a ComputationGraph. */
    @Test
    void dl4jDropoutLayerTakesIt() {
        MultiLayerNetwork net = IntegrationNets.mln(base().list()
                .layer(dense().build())
                .layer(new DropoutLayer.Builder().dropOut(new TorchDropout(0.5)).build())
                .layer(output().build())
                .build());
        assertTrue(gradientsExact(net));
        Nd4j.getRandom().setSeed(SEED);
        INDArray dropped = net.feedForward(features(), true).get(2);
        INDArray before = net.feedForward(features(), false).get(1);
        INDArray ratio = dropped.div(before);
        for (double r : ratio.data().asDouble()) {
            assertTrue(r == 0 || r == 2, "value " + r);
        }

        ComputationGraphConfiguration graph = base().graphBuilder().addInputs("in")
                .addLayer("d", dense().build(), "in")
                .addLayer("drop", new DropoutLayer.Builder().dropOut(new TorchDropout(0.5)).build(), "d")
                .addLayer("h", dense().dropOut(new TorchDropout(0.3)).build(), "drop")
                .addLayer("out", output().build(), "h")
                .setOutputs("out").build();
        ComputationGraph cg = IntegrationNets.graph(graph);
        assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.GraphConfig().net(cg)
                .inputs(new INDArray[] {features()}).labels(new INDArray[] {labels()})
                .callEachIter(g -> Nd4j.getRandom().setSeed(SEED))
                .exitOnFirstError(true).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }

    /**
     * conv -> conv (carrying the dropout) -> output, all NHWC, or the same with SimpleRnn and NWC: the first layer's
     * parameter gradients go through the dropout's backprop.
     */
    private static MultiLayerNetwork channelsLast(IDropout dropout, boolean recurrent) {
        NeuralNetConfiguration.ListBuilder list = base().list();
        if (recurrent) {
            list.layer(new org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn.Builder().nOut(3).activation(Activation.TANH)
                            .dataFormat(org.deeplearning4j.nn.conf.RNNFormat.NWC).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn.Builder().nOut(4).activation(Activation.TANH)
                            .dataFormat(org.deeplearning4j.nn.conf.RNNFormat.NWC).dropOut(dropout).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.RnnOutputLayer.Builder(LossFunction.MCXENT).nOut(3)
                            .activation(Activation.SOFTMAX).dataFormat(org.deeplearning4j.nn.conf.RNNFormat.NWC).build())
                    .setInputType(InputType.recurrent(2, 5, org.deeplearning4j.nn.conf.RNNFormat.NWC));
        } else {
            list.layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(1, 1).nOut(3)
                            .activation(Activation.TANH).dataFormat(CNN2DFormat.NHWC).build())
                    .layer(new org.deeplearning4j.nn.conf.layers.ConvolutionLayer.Builder(2, 2).nOut(3)
                            .activation(Activation.TANH).dataFormat(CNN2DFormat.NHWC).dropOut(dropout).build())
                    .layer(output().build())
                    .setInputType(InputType.convolutional(4, 5, 2, CNN2DFormat.NHWC));
        }
        return IntegrationNets.mln(list.build());
    }

    private static INDArray[] channelsLastData(boolean recurrent) {
        if (!recurrent) {
            return new INDArray[] {IntegrationNets.randn(4, DataType.DOUBLE, MINIBATCH, 4, 5, 2), labels()};
        }
        INDArray labels = Nd4j.zeros(DataType.DOUBLE, MINIBATCH, 5, 3);
        for (int n = 0; n < MINIBATCH; n++) {
            for (int t = 0; t < 5; t++) {
                labels.putScalar(new long[] {n, t, (n + t) % 3}, 1);
            }
        }
        return new INDArray[] {IntegrationNets.randn(4, DataType.DOUBLE, MINIBATCH, 5, 2), labels};
    }

    /**
     * DL4J's channels-last convolution and SimpleRnn drop their input as it comes (NHWC, NWC) but backprop the dropout on a
     * channels-first view of the gradient: ours reads it back (exact gradients); DL4J's own Dropout fails there.
     */
    @ParameterizedTest(name = "recurrent={0}")
    @ValueSource(booleans = {false, true})
    void channelsLastDl4jLayersCarryingItHaveExactGradients(boolean recurrent) {
        INDArray[] data = channelsLastData(recurrent);
        for (TorchDropout dropout : List.of(new TorchDropout(0.4),
                TorchDropout.from(new FeatureAlphaDropout.Builder().p(0.3)
                        .dataFormat(recurrent ? org.deeplearning4j.nn.conf.RNNFormat.NWC : CNN2DFormat.NHWC).build()))) {
            MultiLayerNetwork net = channelsLast(dropout, recurrent);
            assertTrue(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                    .input(data[0]).labels(data[1]).callEachIter(n -> Nd4j.getRandom().setSeed(SEED))
                    .exitOnFirstError(true).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)), dropout.toString());
        }
        MultiLayerNetwork dl4j = channelsLast(new org.deeplearning4j.nn.conf.dropout.Dropout(0.6), recurrent);
        assertThrows(Exception.class, () -> dl4j.fit(data[0], data[1]), "DL4J's own Dropout");
    }

    /** A mask that changes between passes makes the check fail: the checks above can detect a wrong mask. */
    @Test
    void gradientCheckFailsWithADifferentMaskEachPass() {
        MultiLayerNetwork net = IntegrationNets.mln(sharedInstance(new TorchDropout(0.4)));
        long[] seed = {SEED};
        assertFalse(GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net)
                .input(features()).labels(labels())
                .callEachIter(n -> Nd4j.getRandom().setSeed(seed[0]++))
                .exitOnFirstError(true).print(GradientCheckUtil.PrintMode.FAILURES_ONLY)));
    }

    @Test
    void cloneOfANetworkHasItsOwnInstanceAndExactGradients() {
        MultiLayerNetwork net = IntegrationNets.mln(sharedInstance(new TorchDropout(0.4)));
        MultiLayerNetwork clone = net.clone();
        assertNotSame(net.getLayer(1).conf().getLayer().getIDropout(), clone.getLayer(1).conf().getLayer().getIDropout());
        assertEquals(net.getLayer(1).conf().getLayer().getIDropout(), clone.getLayer(1).conf().getLayer().getIDropout());
        assertTrue(gradientsExact(clone));
        assertTrue(gradientsExact(net));
    }

    /**
     * Two networks built from one configuration object share its layer configurations, so one instance, on two
     * threads at once: each trains exactly as it does alone on its thread.
     */
    @Test
    void twoNetworksSharingOneConfigurationTrainOnTwoThreadsAtOnce() throws Exception {
        MultiLayerConfiguration conf = sharedInstance(new TorchDropout(0.5), base(new Sgd(0.1)));
        DataSet data = new DataSet(features(), labels());
        // One thread per seed: masks depend on the seed and on the thread (replicas seeded alike must differ).
        List<ExecutorService> threads = List.of(Executors.newSingleThreadExecutor(), Executors.newSingleThreadExecutor());
        try {
            List<Future<INDArray>> together = List.of(threads.get(0).submit(() -> train(conf, data, 1)),
                    threads.get(1).submit(() -> train(conf, data, 2)));
            List<INDArray> concurrent = List.of(together.get(0).get(), together.get(1).get());
            for (int i = 0; i < 2; i++) {
                long seed = i + 1;
                assertEquals(concurrent.get(i), threads.get(i).submit(() -> train(conf, data, seed)).get(), "alone");
            }
            assertNotEquals(concurrent.get(0), concurrent.get(1), "different seeds, different masks");
        } finally {
            threads.forEach(ExecutorService::shutdownNow);
        }
    }

    private static INDArray train(MultiLayerConfiguration conf, DataSet data, long seed) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        Nd4j.getRandom().setSeed(seed);
        for (int i = 0; i < 20; i++) {
            net.fit(data);
        }
        return net.params().dup();
    }

    // ---------------------------------------------------------------- schedules

    /** The count is the network's, as fit advances it: p = 0 for iterations 0-1, then 1 (everything dropped). */
    @Test
    void scheduleFollowsTheNetworksIterationCount() {
        MapSchedule schedule = new MapSchedule(ScheduleType.ITERATION, Map.of(0, 0.0, 2, 1.0));
        for (Supplier<MultiLayerConfiguration> conf : List.<Supplier<MultiLayerConfiguration>>of(
                () -> base().list().layer(dense().build())
                        .layer(new Dropout.Builder().pSchedule(schedule).build())
                        .layer(output().build()).build(),
                () -> base().list().layer(dense().build())
                        .layer(output().dropOut(new TorchDropout(schedule)).build()).build())) {
            MultiLayerNetwork net = IntegrationNets.mln(conf.get());
            int outputLayer = net.getnLayers() - 1;
            double[] sums = new double[4];
            net.setListeners(new org.deeplearning4j.optimize.api.BaseTrainingListener() {
                @Override
                public void onBackwardPass(org.deeplearning4j.nn.api.Model model) {
                    INDArray input = ((MultiLayerNetwork) model).getLayer(outputLayer).input();
                    sums[((MultiLayerNetwork) model).getIterationCount()] = input.sumNumber().doubleValue();
                }
            });
            for (int i = 0; i < 4; i++) {
                net.fit(features(), labels());
            }
            assertNotEquals(0, sums[0]);
            assertNotEquals(0, sums[1]);
            assertEquals(0, sums[2]);
            assertEquals(0, sums[3]);
        }
    }

    @Test
    void scheduleIsShownValidatedAndSerialised() throws IOException {
        StepSchedule schedule = new StepSchedule(ScheduleType.EPOCH, 0.5, 0.5, 1);
        Dropout layer = new Dropout.Builder().pSchedule(schedule).build();
        assertEquals(0.5, layer.getP(), "getP(): the value at iteration 0, epoch 0");
        assertEquals(0.125, layer.probabilityAt(0, 2));
        assertEquals("Dropout(p=" + schedule + ", inplace=false)", layer.toString());
        assertEquals("TorchDropout(Dropout(p=" + schedule + ", inplace=false))", new TorchDropout(schedule).toString());
        DropoutChecks.assertFailsWith(DropoutChecks.rangeMessage("2.0"),
                () -> new Dropout.Builder().pSchedule(new MapSchedule(ScheduleType.ITERATION, Map.of(0, 2.0))).build());
        Dropout rising = new Dropout.Builder().pSchedule(new MapSchedule(ScheduleType.ITERATION, Map.of(0, 0.5, 3, 1.5)))
                .build();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> rising.probabilityAt(3, 0));
        assertTrue(e.getMessage().contains("iteration 3"), e.getMessage());
        MultiLayerConfiguration conf = base().list().layer(dense().build()).layer(layer)
                .layer(output().dropOut(new TorchDropout(schedule)).build()).build();
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        assertEquals(conf, MultiLayerConfiguration.fromYaml(conf.toYaml()));
    }

    // ---------------------------------------------------------------- shared axes

    /** One draw per (example, channel), the same at every time step: locked dropout on NCW input. */
    @Test
    void sharedAxesShareOneDrawAlongThoseAxes() {
        INDArray x = Nd4j.ones(DataType.FLOAT, 8, 6, 10);
        Nd4j.getRandom().setSeed(SEED);
        INDArray y = Functional.dropout(x, 0.5, true, false, 2);
        for (int n = 0; n < 8; n++) {
            for (int c = 0; c < 6; c++) {
                INDArray steps = y.get(org.nd4j.linalg.indexing.NDArrayIndex.point(n),
                        org.nd4j.linalg.indexing.NDArrayIndex.point(c), org.nd4j.linalg.indexing.NDArrayIndex.all());
                assertEquals(steps.getFloat(0) * 10, steps.sumNumber().floatValue(), "constant over time");
            }
        }
        // 48 draws with p = 0.5: all equal has probability 2^-47.
        float first = y.getFloat(0, 0, 0);
        assertTrue(y.neq(first).any(), "the draws differ between (example, channel) pairs");
        // The same draw as a channel-wise mask: Dropout1d's mask on NCW is also one draw per (example, channel).
        Nd4j.getRandom().setSeed(SEED);
        assertSameBits(Functional.dropout1d(x, 0.5, true, false), y, "same lanes as Dropout1d");
        // NWC: share axis 1 (-2 from the end), the same mask transposed.
        Nd4j.getRandom().setSeed(SEED);
        INDArray nwc = Functional.dropout(x.permute(0, 2, 1).dup('c'), 0.5, true, false, -2);
        assertSameBits(y.permute(0, 2, 1), nwc, "NWC");
        DropoutChecks.assertFailsWith("dropout: shared axis 3 is out of range for an input of rank 3",
                () -> Functional.dropout(x, 0.5, true, false, 3));
    }

    @Test
    void sharedAxesOnTheLayerAndTheIDropoutAreTheFunctionalOnes() {
        Dropout layer = new Dropout.Builder().p(0.5).sharedAxes(2).build();
        assertEquals("Dropout(p=0.5, inplace=false, sharedAxes=[2])", layer.toString());
        INDArray x = Nd4j.ones(DataType.DOUBLE, 4, 3, 7);
        Nd4j.getRandom().setSeed(SEED);
        INDArray viaIDropout = TorchDropout.from(layer).applyDropout(x, x.ulike(), 0, 0, LayerWorkspaceMgr.noWorkspaces());
        Nd4j.getRandom().setSeed(SEED);
        assertSameBits(Functional.dropout(x, 0.5, true, false, 2), viaIDropout, "TorchDropout");
        assertNotEquals(layer, new Dropout(0.5));
        assertEquals(layer, TorchDropout.from(layer).getVariant());
    }

    // ---------------------------------------------------------------- serialisation

    private static MultiLayerConfiguration allForms() {
        return base().list()
                .layer(dense().dropOut(new TorchDropout(0.25)).build())
                .layer(dense().dropOut(new TorchDropout(new StepSchedule(ScheduleType.ITERATION, 0.5, 0.9, 10))).build())
                .layer(dense().dropOut(TorchDropout.from(new Dropout.Builder().p(0.3).sharedAxes(1).build())).build())
                .layer(dense().dropOut(TorchDropout.from(new AlphaDropout(0.1))).build())
                .layer(new DropoutLayer.Builder().dropOut(
                        TorchDropout.from(new Dropout2d.Builder().p(0.2).dataFormat(CNN2DFormat.NHWC).build())).build())
                .layer(output().dropOut(TorchDropout.from(new FeatureAlphaDropout(0.4))).build())
                .build();
    }

    @Test
    void jsonYamlAndJavaSerialisationRoundTrip() throws Exception {
        MultiLayerConfiguration conf = allForms();
        assertEquals(conf, MultiLayerConfiguration.fromJson(conf.toJson()));
        assertEquals(conf, MultiLayerConfiguration.fromYaml(conf.toYaml()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(conf);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            MultiLayerConfiguration back = (MultiLayerConfiguration) in.readObject();
            assertEquals(conf, back);
            // Deserialised instances work (their per-thread state exists).
            TorchDropout dropout = (TorchDropout) back.getConf(0).getLayer().getIDropout();
            INDArray x = Nd4j.ones(2, 4);
            dropout.applyDropout(x, x.ulike(), 0, 0, LayerWorkspaceMgr.noWorkspaces());
            dropout.backprop(x, x, 0, 0);
        }
    }

    @Test
    void savedModelRestoresWithItsDropout() throws IOException {
        MultiLayerNetwork net = IntegrationNets.mln(sharedInstance(new TorchDropout(0.4)));
        net.fit(features(), labels());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelSerializer.writeModel(net, bytes, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(bytes.toByteArray()));
        assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
        assertEquals(net.output(features()), restored.output(features()));
        assertTrue(gradientsExact(restored));
    }

    /** The committed file (written once by this code) keeps loading into the same configuration. */
    @Test
    void goldenJsonKeepsLoading() throws IOException {
        String golden;
        try (InputStream in = TorchDropoutTest.class.getResourceAsStream(GOLDEN)) {
            if (in == null) {
                throw new AssertionError("missing " + GOLDEN + "; this code writes it as:\n" + allForms().toJson());
            }
            golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(golden.contains(TorchDropout.class.getName()));
        assertEquals(allForms(), MultiLayerConfiguration.fromJson(golden));
    }

    @Test
    void workspaceModesAgree() {
        INDArray[] outputs = new INDArray[2];
        int i = 0;
        for (WorkspaceMode mode : WorkspaceMode.values()) {
            if (mode != WorkspaceMode.ENABLED && mode != WorkspaceMode.NONE) {
                continue;
            }
            MultiLayerNetwork net = IntegrationNets.mln(base(new Sgd(0.1)).trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode)
                    .list().layer(dense().build()).layer(dense().dropOut(new TorchDropout(0.5)).build())
                    .layer(output().dropOut(new TorchDropout(0.5)).build()).build());
            Nd4j.getRandom().setSeed(SEED);
            net.fit(features(), labels());
            net.fit(features(), labels());
            outputs[i++] = net.params().dup();
        }
        assertEquals(outputs[0], outputs[1]);
    }
}
