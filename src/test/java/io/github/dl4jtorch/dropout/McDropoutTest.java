package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.nativeblas.NativeOps;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Monte Carlo dropout: the per-layer {@code monteCarlo} switch and {@link McDropout#predict}. Random draws use fixed
 * seeds; where a statement holds only with high probability its false-failure rate under fresh seeds is given.
 */
class McDropoutTest {

    private static final long SEED = 42;

    // ---------------------------------------------------------------- the per-layer switch

    /** The same layer as {@code c} makes, built with {@code monteCarlo(true)}: its format comes from the input type. */
    private static AbstractDropout monteCarlo(Case c, double p, boolean inplace) {
        AbstractDropout.Builder<?> builder = switch (c.name().split(" ")[0]) {
            case "Dropout" -> new Dropout.Builder();
            case "AlphaDropout" -> new AlphaDropout.Builder();
            case "Dropout1d" -> new Dropout1d.Builder();
            case "Dropout2d" -> new Dropout2d.Builder();
            case "Dropout3d" -> new Dropout3d.Builder();
            case "FeatureAlphaDropout" -> new FeatureAlphaDropout.Builder();
            default -> throw new IllegalArgumentException(c.name());
        };
        AbstractDropout layer = builder.p(p).inplace(inplace).monteCarlo(true).build();
        assertEquals(c.layer().apply(p, inplace).getClass(), layer.getClass(), c.name());
        return layer;
    }

    static Stream<Arguments> casesModesInplace() {
        return IntegrationNets.cases().stream().flatMap(c -> Stream.of(WorkspaceMode.ENABLED, WorkspaceMode.NONE)
                .flatMap(mode -> Stream.of(Arguments.of(c, mode, false), Arguments.of(c, mode, true))));
    }

    /**
     * A monteCarlo layer drops in {@code net.output(x)} exactly as in a training pass with the same seed (the other
     * layers behave alike in both), in both workspace modes, in a MultiLayerNetwork and a ComputationGraph, and leaves
     * the features alone. A different seed gives another output: all masks of the 4 examples equal has probability
     * below 2^-8 per channel-wise case and far less element-wise; fixed seeds make it deterministic.
     */
    @ParameterizedTest(name = "{0}, {1}, inplace={2}")
    @MethodSource("casesModesInplace")
    void monteCarloLayerDropsInEvaluation(Case c, WorkspaceMode mode, boolean inplace) {
        NeuralNetConfiguration.Builder base = IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01), mode);
        IntegrationNets.Layout layout = c.layout();
        MultiLayerConfiguration mlnConf = base.list()
                .layer(layout.trainable())
                .layer(monteCarlo(c, 0.5, inplace))
                .layer(layout.output())
                .setInputType(layout.inputType())
                .build();
        MultiLayerNetwork mln = IntegrationNets.mln(mlnConf);
        ComputationGraph graph = IntegrationNets.graph(base.graphBuilder()
                .addInputs("in").setInputTypes(layout.inputType())
                .addLayer("t", layout.trainable(), "in")
                .addLayer("drop", monteCarlo(c, 0.5, inplace), "t")
                .addLayer("out", layout.output(), "drop")
                .setOutputs("out")
                .build());
        graph.setParams(mln.params());
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, layout.shape(4));
        INDArray xBefore = x.dup();

        Nd4j.getRandom().setSeed(7);
        INDArray training = mln.output(x, true);
        Nd4j.getRandom().setSeed(7);
        INDArray evaluation = mln.output(x);
        Nd4j.getRandom().setSeed(7);
        INDArray graphEvaluation = graph.outputSingle(x);
        Nd4j.getRandom().setSeed(8);
        INDArray otherSeed = mln.output(x);

        assertEquals(training, evaluation, c + ": evaluation must drop as training does");
        assertEquals(evaluation, graphEvaluation, c + ": ComputationGraph");
        assertNotEquals(evaluation, otherSeed, c + ": another seed, other masks");
        assertEquals(xBefore, x, c + ": the features changed");
    }

    @Test
    void monteCarloIsConfigurationShownAndSerialised() {
        Dropout plain = new Dropout(0.5);
        Dropout mc = new Dropout.Builder().p(0.5).monteCarlo(true).build();
        assertFalse(plain.isMonteCarlo());
        assertTrue(mc.isMonteCarlo());
        assertEquals("Dropout(p=0.5, inplace=false)", plain.toString());
        assertEquals("Dropout(p=0.5, inplace=false, monteCarlo=true)", mc.toString());
        assertNotEquals(plain, mc);
        assertNotEquals(plain.hashCode(), mc.hashCode());
        // DL4J's memory estimate of an evaluation pass: Monte Carlo adds working memory for the output it writes.
        assertTrue(inferenceBytes(mc) > inferenceBytes(plain), inferenceBytes(mc) + " vs " + inferenceBytes(plain));

        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new DenseLayer.Builder().nIn(3).nOut(3).build())
                .layer(mc)
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(3).nOut(2).build())
                .build();
        String json = conf.toJson();
        assertTrue(json.contains("\"monteCarlo\" : true"), json);
        MultiLayerConfiguration loaded = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, loaded);
        assertTrue(((AbstractDropout) loaded.getConf(1).getLayer()).isMonteCarlo());

        // JSON written before the property existed loads with monteCarlo = false.
        String old = json.replace(",\n      \"monteCarlo\" : true", "").replace("\"monteCarlo\" : true,", "");
        assertFalse(old.contains("monteCarlo"), old);
        assertFalse(((AbstractDropout) MultiLayerConfiguration.fromJson(old).getConf(1).getLayer()).isMonteCarlo());
    }

    private static long inferenceBytes(AbstractDropout layer) {
        return layer.getMemoryReport(InputType.feedForward(10)).getTotalMemoryBytes(4,
                org.deeplearning4j.nn.conf.memory.MemoryUseMode.INFERENCE, org.deeplearning4j.nn.conf.CacheMode.NONE,
                DataType.FLOAT);
    }

    // ---------------------------------------------------------------- predict: networks

    /** Dense -> BatchNorm -> ReLU -> Dropout(p) -> Dense softmax, trained a few steps so BatchNorm has statistics. */
    private static MultiLayerNetwork batchNormNet(double p, WorkspaceMode mode) {
        MultiLayerNetwork net = IntegrationNets.mln(batchNormConf(new Dropout(p), mode));
        trainBriefly(net::fit);
        return net;
    }

    private static MultiLayerConfiguration batchNormConf(AbstractDropout dropout, WorkspaceMode mode) {
        return IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.05), mode)
                .list()
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build())
                .layer(new BatchNormalization.Builder().build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build())
                .layer(dropout)
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(5))
                .build();
    }

    /** The same layers as a graph. */
    private static ComputationGraph batchNormGraph(double p, WorkspaceMode mode) {
        ComputationGraph net = IntegrationNets.graph(IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.05), mode)
                .graphBuilder()
                .addInputs("in").setInputTypes(InputType.feedForward(5))
                .addLayer("dense", new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build(), "in")
                .addLayer("bn", new BatchNormalization.Builder().build(), "dense")
                .addLayer("relu", new DenseLayer.Builder().nOut(16).activation(Activation.RELU).build(), "bn")
                .addLayer("drop", new Dropout(p), "relu")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .build(), "drop")
                .setOutputs("out")
                .build());
        trainBriefly(net::fit);
        return net;
    }

    private static void trainBriefly(java.util.function.Consumer<DataSet> fit) {
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 3);
        for (int i = 0; i < 32; i++) {
            labels.putScalar(i, i % 3, 1);
        }
        INDArray features = IntegrationNets.randn(3, DataType.FLOAT, 32, 5).addi(2); // BatchNorm's mean moves off 0
        for (int i = 0; i < 5; i++) {
            fit.accept(new DataSet(features, labels));
        }
    }

    private static INDArray features() {
        return IntegrationNets.randn(5, DataType.FLOAT, 6, 5).addi(2);
    }

    private static List<DropoutRuntimeLayer> dropoutLayers(Layer[] layers) {
        List<DropoutRuntimeLayer> found = new ArrayList<>();
        for (Layer layer : layers) {
            if (layer instanceof DropoutRuntimeLayer dropout) {
                found.add(dropout);
            }
        }
        assertFalse(found.isEmpty());
        return found;
    }

    private static void assertLayersOff(Layer[] layers) {
        for (DropoutRuntimeLayer layer : dropoutLayers(layers)) {
            assertFalse(layer.isSampling(), "a dropout layer was left switched on");
            assertFalse(layer.hasMask(), "a dropout layer kept a mask");
        }
    }

    // ---------------------------------------------------------------- predict: state and evaluation mode

    /**
     * Parameters (BatchNorm's running mean and log10 standard deviation are among them), updater state, iteration count and the
     * network's evaluation output are bit-identical after predict, and the layers are off with no mask.
     */
    @ParameterizedTest
    @EnumSource(value = WorkspaceMode.class, names = {"ENABLED", "NONE"})
    void predictLeavesMultiLayerNetworkAsItWas(WorkspaceMode mode) {
        MultiLayerNetwork net = batchNormNet(0.5, mode);
        INDArray x = features();
        INDArray xBefore = x.dup();
        INDArray params = net.params().dup();
        INDArray bnMean = net.getLayer(1).getParam("mean").dup();
        INDArray bnVar = net.getLayer(1).getParam("log10stdev").dup();
        INDArray updater = net.getUpdater().getStateViewArray().dup();
        int iterations = net.getIterationCount();
        INDArray outputBefore = net.output(x);

        McDropout.Prediction prediction = McDropout.predict(net, x, 30);

        assertEquals(params, net.params());
        assertEquals(bnMean, net.getLayer(1).getParam("mean"));
        assertEquals(bnVar, net.getLayer(1).getParam("log10stdev"));
        assertNotEquals(Nd4j.zeros(bnMean.shape()).castTo(bnMean.dataType()), bnMean, "BatchNorm has statistics");
        assertEquals(updater, net.getUpdater().getStateViewArray());
        assertEquals(iterations, net.getIterationCount());
        assertEquals(outputBefore, net.output(x), "net.output(x) must be the identity again");
        assertEquals(xBefore, x);
        assertLayersOff(net.getLayers());
        assertEquals(outputBefore.shapeInfoToString(), prediction.mean().shapeInfoToString());
    }

    @ParameterizedTest
    @EnumSource(value = WorkspaceMode.class, names = {"ENABLED", "NONE"})
    void predictLeavesComputationGraphAsItWas(WorkspaceMode mode) {
        ComputationGraph net = batchNormGraph(0.5, mode);
        INDArray x = features();
        INDArray params = net.params().dup();
        INDArray outputBefore = net.outputSingle(x);

        McDropout.Prediction prediction = McDropout.predict(net, x, 30);

        assertEquals(params, net.params());
        assertEquals(outputBefore, net.outputSingle(x));
        assertLayersOff(net.getLayers());
        assertTrue(prediction.variance().maxNumber().doubleValue() > 0);
    }

    /**
     * p = 0: the mean is net.output(x) exactly and the variance 0. BatchNorm in training mode would normalise with the
     * batch's statistics and give another output, so this also shows it stays in evaluation mode.
     */
    @ParameterizedTest
    @EnumSource(value = WorkspaceMode.class, names = {"ENABLED", "NONE"})
    void zeroProbabilityGivesTheEvaluationOutputExactly(WorkspaceMode mode) {
        MultiLayerNetwork net = batchNormNet(0, mode);
        INDArray x = features();
        INDArray expected = net.output(x);
        assertNotEquals(expected, net.output(x, true), "BatchNorm in training mode would differ");

        McDropout.Prediction prediction = McDropout.predict(net, x, 25);
        assertEquals(expected, prediction.mean());
        assertEquals(Nd4j.zeros(expected.dataType(), expected.shape()), prediction.variance());
        assertEquals(Nd4j.zeros(DataType.DOUBLE, 6), prediction.mutualInformation());

        ComputationGraph graph = batchNormGraph(0, mode);
        assertEquals(graph.outputSingle(x), McDropout.predict(graph, x, 25).mean());
    }

    /**
     * The layers are switched off again when a pass fails (here: wrong input width), and the network still works.
     */
    @Test
    void layersAreSwitchedOffWhenAPassFails() {
        MultiLayerNetwork net = batchNormNet(0.5, WorkspaceMode.ENABLED);
        INDArray wrongWidth = Nd4j.ones(DataType.FLOAT, 2, 7);
        assertThrows(Exception.class, () -> McDropout.predict(net, wrongWidth, 3));
        assertLayersOff(net.getLayers());
        INDArray x = features();
        assertEquals(net.output(x), net.output(x));
    }

    /** DL4J's own dropout, per layer and network-wide, is applied in training passes only: predict leaves it off. */
    @Test
    void dl4jDropOutStaysOff() {
        MultiLayerNetwork net = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .dropOut(0.5)                                            // DL4J's, network-wide (retain 0.5)
                .list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(8).activation(Activation.RELU).build())
                .layer(new Dropout(0.5))                                 // ours: sampled
                .layer(new DenseLayer.Builder().nIn(8).nOut(8).activation(Activation.RELU)
                        .dropOut(new TorchDropout(0.5)).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build());
        INDArray x = features();
        assertTrue(McDropout.predict(net, x, 20).variance().maxNumber().doubleValue() > 0);

        MultiLayerNetwork onlyDl4j = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .dropOut(0.5)
                .list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(8).activation(Activation.RELU).build())
                .layer(new Dropout(0))
                .layer(new DenseLayer.Builder().nIn(8).nOut(8).activation(Activation.RELU)
                        .dropOut(new TorchDropout(0.5)).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(8).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build());
        // The same weights with our layer at p = 0: only DL4J's dropout is left, and nothing varies.
        onlyDl4j.setParams(net.params());
        McDropout.Prediction prediction = McDropout.predict(onlyDl4j, x, 20);
        assertEquals(onlyDl4j.output(x), prediction.mean());
        assertEquals(0.0, prediction.variance().maxNumber().doubleValue());
        assertNotEquals(onlyDl4j.output(x), onlyDl4j.output(x, true), "DL4J's dropout is there, in training");
    }

    // ---------------------------------------------------------------- predict: statistics

    /**
     * Dense(no bias) -> Dropout(0.5) -> softmax output: on a zero row of features every pass gives the same output
     * (variance exactly 0, mutual information 0); on the other rows the output varies (variance > 0 for every class).
     * With 40 passes of 16 units, all passes of a row alike has probability below 2^-39 per row.
     */
    @Test
    void varianceIsPositiveWhereDropoutActsAndZeroWhereNot() {
        MultiLayerNetwork net = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(16).hasBias(false).activation(Activation.TANH).build())
                .layer(new Dropout(0.5))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build());
        INDArray x = features();
        x.getRow(2).assign(0);
        Nd4j.getRandom().setSeed(SEED);
        McDropout.Prediction prediction = McDropout.predict(net, x, 40);
        INDArray variance = prediction.variance();
        for (int row = 0; row < 6; row++) {
            for (int c = 0; c < 3; c++) {
                double v = variance.getDouble(row, c);
                if (row == 2) {
                    assertEquals(0.0, v, "row of zeros: every pass gives the same output");
                } else {
                    assertTrue(v > 0, "row " + row + " class " + c + ": variance " + v);
                }
            }
        }
        assertEquals(net.output(x).getRow(2), prediction.mean().getRow(2));
        assertEquals(0.0, prediction.mutualInformation().getDouble(2));
        assertTrue(prediction.mutualInformation().getDouble(0) > 0);
    }

    /** One pass: the mean is that pass (the training pass with the same seed), variance and MI are 0. */
    @Test
    void oneSampleIsOnePass() {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.base(SEED, DataType.FLOAT, new Adam(0.01),
                        WorkspaceMode.ENABLED).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(16).activation(Activation.TANH).build())
                .layer(new Dropout(0.5))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(16).nOut(3).activation(Activation.SOFTMAX)
                        .build())
                .build());
        INDArray x = features();
        Nd4j.getRandom().setSeed(11);
        INDArray pass = net.output(x, true);
        Nd4j.getRandom().setSeed(11);
        McDropout.Prediction prediction = McDropout.predict(net, x, 1);
        assertEquals(1, prediction.samples());
        assertEquals(pass, prediction.mean());
        assertNotEquals(net.output(x), prediction.mean());
        assertEquals(Nd4j.zeros(DataType.FLOAT, 6, 3), prediction.variance());
        assertEquals(Nd4j.zeros(DataType.DOUBLE, 6), prediction.mutualInformation());
    }

    /** Mean, variance and entropies against a direct computation over kept samples of the same seeded passes. */
    @Test
    void statisticsMatchADirectComputation() {
        MultiLayerNetwork net = batchNormNet(0.5, WorkspaceMode.ENABLED);
        INDArray x = features();
        int samples = 12;
        Nd4j.getRandom().setSeed(SEED);
        McDropout.Prediction prediction = McDropout.predict(net, x, samples);

        // The same network (BatchNorm's statistics are parameters too) with a monteCarlo layer, sampled by hand.
        MultiLayerNetwork mc = IntegrationNets.mln(batchNormConf(new Dropout.Builder().p(0.5).monteCarlo(true).build(),
                WorkspaceMode.ENABLED));
        mc.setParams(net.params());
        Nd4j.getRandom().setSeed(SEED);
        double[][][] y = new double[samples][][];
        for (int t = 0; t < samples; t++) {
            y[t] = mc.output(x).toDoubleMatrix();
        }
        for (int i = 0; i < 6; i++) {
            double meanEntropy = 0;
            double[] mean = new double[3];
            for (int c = 0; c < 3; c++) {
                double sum = 0;
                for (double[][] sample : y) {
                    sum += sample[i][c];
                }
                mean[c] = sum / samples;
                double squares = 0;
                for (double[][] sample : y) {
                    squares += (sample[i][c] - mean[c]) * (sample[i][c] - mean[c]);
                }
                assertEquals(mean[c], prediction.mean().getDouble(i, c), 1e-6);
                assertEquals(squares / samples, prediction.variance().getDouble(i, c), 1e-7);
            }
            for (double[][] sample : y) {
                meanEntropy += entropy(sample[i]) / samples;
            }
            assertEquals(entropy(mean), prediction.entropy().getDouble(i), 1e-6);
            assertEquals(entropy(mean) - meanEntropy, prediction.mutualInformation().getDouble(i), 1e-6);
        }
    }

    private static double entropy(double[] q) {
        double h = 0;
        for (double v : q) {
            h -= v == 0 ? 0 : v * Math.log(v);
        }
        return h;
    }

    /**
     * A case computed by hand. One feature x = 1 or 0 -> Dropout(0.5) -> softmax output with weights (a, -a), no bias,
     * a = ln(9)/4. A pass that keeps x gives q = softmax(2a, -2a) = (0.9, 0.1), one that drops it (0.5, 0.5). After
     * T passes of which k kept x, mean_0 = 0.5 + 0.4 k/T (so k can be read off the mean), the entropy is
     * -sum m ln m and the mutual information that minus ((T-k) ln 2 + k H(0.9, 0.1))/T. For x = 0 every pass gives
     * (0.5, 0.5): entropy ln 2, mutual information 0. k = 0 or k = T has probability 2^-39 for T = 40.
     */
    @Test
    void entropyAndMutualInformationByHand() {
        MultiLayerNetwork net = IntegrationNets.mln(new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
                .list()
                .layer(new Dropout(0.5))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(1).nOut(2).hasBias(false)
                        .activation(Activation.SOFTMAX).build())
                .build());
        double a = Math.log(9) / 4;
        net.getLayer(1).setParam("W", Nd4j.createFromArray(new double[][] {{a, -a}}));
        INDArray x = Nd4j.createFromArray(new double[][] {{1}, {0}});
        int samples = 40;
        Nd4j.getRandom().setSeed(SEED);
        McDropout.Prediction prediction = McDropout.predict(net, x, samples);

        double m0 = prediction.mean().getDouble(0, 0);
        double k = (m0 - 0.5) / 0.4 * samples;
        assertEquals(Math.rint(k), k, 1e-9, "mean must be a mixture of whole passes");
        assertTrue(k > 0 && k < samples, "k = " + k);
        double m1 = 1 - m0;
        double hMean = -(m0 * Math.log(m0) + m1 * Math.log(m1));
        double hKept = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
        double meanOfEntropies = ((samples - k) * Math.log(2) + k * hKept) / samples;
        assertEquals(hMean, prediction.entropy().getDouble(0), 1e-12);
        assertEquals(hMean - meanOfEntropies, prediction.mutualInformation().getDouble(0), 1e-12);
        assertTrue(prediction.mutualInformation().getDouble(0) > 0.01);
        // Population variance of a two-valued sample: (k/T)(1-k/T)(0.9-0.5)^2.
        assertEquals(k / samples * (1 - k / samples) * 0.16, prediction.variance().getDouble(0, 0), 1e-12);

        assertEquals(Math.log(2), prediction.entropy().getDouble(1), 1e-15);
        assertEquals(0.0, prediction.mutualInformation().getDouble(1));
        assertEquals(0.0, prediction.variance().getDouble(1, 0));
    }

    @Test
    void seededCallsRepeat() {
        MultiLayerNetwork net = batchNormNet(0.5, WorkspaceMode.ENABLED);
        INDArray x = features();
        Nd4j.getRandom().setSeed(3);
        McDropout.Prediction first = McDropout.predict(net, x, 10);
        Nd4j.getRandom().setSeed(3);
        McDropout.Prediction second = McDropout.predict(net, x, 10);
        Nd4j.getRandom().setSeed(4);
        McDropout.Prediction other = McDropout.predict(net, x, 10);
        assertEquals(first.mean(), second.mean());
        assertEquals(first.variance(), second.variance());
        assertEquals(first.entropy(), second.entropy());
        assertNotEquals(first.mean(), other.mean());
    }

    /**
     * Memory does not grow with the number of passes: 1,000 passes of a [500, 100] output (keeping them would take
     * 200 MB in float, 400 MB in double) change JavaCPP's count of live native bytes by less than 4 MB after a warm-up
     * call of 100 passes, and the process's physical memory, less the growth of the JVM's heap, by less than 64 MB
     * (it also counts the JIT's code and the allocator's caches).
     */
    @Test
    void memoryIsBoundedOverManyPasses() {
        MultiLayerNetwork net = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED)
                .dataType(DataType.FLOAT).weightInit(WeightInit.XAVIER)
                .list()
                .layer(new DenseLayer.Builder().nIn(8).nOut(32).activation(Activation.TANH).build())
                .layer(new Dropout(0.5))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(32).nOut(100).activation(Activation.SOFTMAX)
                        .build())
                .build());
        INDArray x = IntegrationNets.randn(9, DataType.FLOAT, 500, 8);
        // One thread: on small arrays, OpenMP threads waiting for each other on a busy machine made this 5x slower.
        NativeOps nativeOps = NativeOpsHolder.getInstance().getDeviceNativeOps();
        int ompThreads = nativeOps.ompGetMaxThreads();
        nativeOps.setOmpNumThreads(1);
        try {
            assertMemoryFlat(net, x);
        } finally {
            nativeOps.setOmpNumThreads(ompThreads);
        }
    }

    private static void assertMemoryFlat(MultiLayerNetwork net, INDArray x) {
        McDropout.predict(net, x, 100);
        System.gc();
        long totalBefore = Pointer.totalBytes();
        long physicalBefore = Pointer.physicalBytes() - Runtime.getRuntime().totalMemory();
        McDropout.Prediction prediction = McDropout.predict(net, x, 1_000);
        long totalGrowth = Pointer.totalBytes() - totalBefore;
        long physicalGrowth = Pointer.physicalBytes() - Runtime.getRuntime().totalMemory() - physicalBefore;
        assertEquals(1_000, prediction.samples());
        assertTrue(totalGrowth < 4L << 20, "native bytes grew by " + totalGrowth);
        assertTrue(physicalGrowth < 64L << 20, "physical bytes grew by " + physicalGrowth);
    }

    /** The README's snippet, as printed there. */
    @Test
    void readmeSnippetRuns() {
        MultiLayerNetwork net = batchNormNet(0.5, WorkspaceMode.ENABLED);
        INDArray features = features();
        // --- as in README.md ---
        Nd4j.getRandom().setSeed(42);                                  // reproducible masks
        McDropout.Prediction prediction = McDropout.predict(net, features, 50);   // MultiLayerNetwork or ComputationGraph
        INDArray probabilities = prediction.mean();                    // mean of the 50 outputs, net.output's shape
        INDArray variance = prediction.variance();                     // per element, population variance (Welford)
        INDArray entropy = prediction.entropy();                       // [N]: -sum_c mean_c ln mean_c, in nats
        INDArray epistemic = prediction.mutualInformation();           // [N]: entropy - mean of the passes' entropies
        // --- end ---
        assertEquals(net.output(features).shapeInfoToString(), probabilities.shapeInfoToString());
        assertEquals(probabilities.shapeInfoToString(), variance.shapeInfoToString());
        assertEquals(6, entropy.length());
        assertTrue(epistemic.minNumber().doubleValue() >= 0);
        assertTrue(entropy.sub(epistemic).minNumber().doubleValue() >= 0);
    }

    // ---------------------------------------------------------------- predict: bad input

    @Test
    void badArgumentsAreRejected() {
        MultiLayerNetwork net = batchNormNet(0.5, WorkspaceMode.ENABLED);
        INDArray x = features();
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> McDropout.predict(net, x, 0));
        assertEquals("samples must be at least 1, got 0", zero.getMessage());
        assertLayersOff(net.getLayers());

        MultiLayerNetwork regression = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED).list()
                .layer(new DenseLayer.Builder().nIn(5).nOut(4).build())
                .layer(new Dropout(0.5))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(2).activation(Activation.IDENTITY).build())
                .build());
        McDropout.Prediction values = McDropout.predict(regression, x.sub(2), 5);
        assertEquals(6, values.mean().size(0));
        IllegalStateException notProbabilities = assertThrows(IllegalStateException.class, values::entropy);
        assertTrue(notProbabilities.getMessage().contains("not probabilities"), notProbabilities.getMessage());
        assertThrows(IllegalStateException.class, values::mutualInformation);

        MultiLayerNetwork recurrent = IntegrationNets.mln(new NeuralNetConfiguration.Builder().seed(SEED).list()
                .layer(new Dropout(0.5))
                .layer(new RnnOutputLayer.Builder(LossFunction.MCXENT).nIn(3).nOut(2).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.recurrent(3, 4))
                .build());
        McDropout.Prediction sequences = McDropout.predict(recurrent, Nd4j.rand(DataType.FLOAT, 2, 3, 4), 5);
        IllegalStateException rank = assertThrows(IllegalStateException.class, sequences::entropy);
        assertTrue(rank.getMessage().contains("[2, 2, 4], not [examples, classes]"), rank.getMessage());

        ComputationGraph twoInputs = IntegrationNets.graph(new NeuralNetConfiguration.Builder().graphBuilder()
                .addInputs("a", "b")
                .addVertex("merge", new org.deeplearning4j.nn.conf.graph.MergeVertex(), "a", "b")
                .addLayer("drop", new Dropout(0.5), "merge")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MSE).nIn(4).nOut(1)
                        .activation(Activation.IDENTITY).build(), "drop")
                .setOutputs("out")
                .build());
        IllegalArgumentException graphShape = assertThrows(IllegalArgumentException.class,
                () -> McDropout.predict(twoInputs, Nd4j.ones(1, 2), 3));
        assertTrue(graphShape.getMessage().contains("2 inputs and 1 outputs"), graphShape.getMessage());
    }
}
