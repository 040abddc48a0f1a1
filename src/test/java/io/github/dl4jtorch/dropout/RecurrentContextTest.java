package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GravesLSTM;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The layers in DL4J's recurrent contexts: feature masks before and after the layer, in place after cached
 * LSTMs, truncated BPTT and {@code rnnTimeStep}. Recurrent activations are (N, C, T), NCW.
 */
class RecurrentContextTest {

    private static final int MINIBATCH = 4;
    private static final int FEATURES = 3;
    private static final int UNITS = 5;
    private static final int OUTPUTS = 2;
    private static final long SEED = 12345;

    /** A recurrent layer of {@code UNITS} units, with DL4J's cache mode. */
    enum Recurrent {
        LSTM, GRAVES_LSTM, SIMPLE_RNN;

        org.deeplearning4j.nn.conf.layers.Layer layer() {
            return switch (this) {
                case LSTM -> new LSTM.Builder().nOut(UNITS).activation(Activation.TANH).build();
                case GRAVES_LSTM -> new GravesLSTM.Builder().nOut(UNITS).activation(Activation.TANH).build();
                case SIMPLE_RNN -> new SimpleRnn.Builder().nOut(UNITS).activation(Activation.TANH).build();
            };
        }
    }

    /** A dropout layer for recurrent activations, from (p, inplace). */
    record DropoutKind(String name, BiFunction<Double, Boolean, AbstractDropout> layer) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final DropoutKind DROPOUT = new DropoutKind("Dropout", Dropout::new);
    static final DropoutKind ALPHA_DROPOUT = new DropoutKind("AlphaDropout", AlphaDropout::new);
    /** Element-wise, channel-wise and alpha. */
    static final List<DropoutKind> DROPOUTS = List.of(DROPOUT, new DropoutKind("Dropout1d",
            (p, inplace) -> new Dropout1d.Builder().p(p).inplace(inplace).dataFormat(RNNFormat.NCW).build()),
            ALPHA_DROPOUT);

    static List<DropoutKind> dropouts() {
        return DROPOUTS;
    }

    private static NeuralNetConfiguration.Builder base(CacheMode cacheMode) {
        return IntegrationNets.base(SEED, DataType.FLOAT, new Sgd(0.1), WorkspaceMode.ENABLED).cacheMode(cacheMode);
    }

    /**
     * {@code layers}, then an MSE output layer, on recurrent input of {@code FEATURES} features and {@code steps}
     * steps; {@code truncatedBptt}: trained in segments of 4 steps.
     */
    private static MultiLayerNetwork network(CacheMode cacheMode, int steps, boolean truncatedBptt,
                                             org.deeplearning4j.nn.conf.layers.Layer... layers) {
        NeuralNetConfiguration.ListBuilder list = base(cacheMode).list();
        for (org.deeplearning4j.nn.conf.layers.Layer layer : layers) {
            list.layer(layer);
        }
        list.layer(new RnnOutputLayer.Builder(LossFunction.MSE).nOut(OUTPUTS).activation(Activation.IDENTITY).build())
                .setInputType(InputType.recurrent(FEATURES, steps));
        MultiLayerConfiguration conf = truncatedBptt
                ? list.backpropType(BackpropType.TruncatedBPTT).tBPTTLength(4).build() : list.build();
        return IntegrationNets.mln(conf);
    }

    // ---------------------------------------------------------------- feature masks

    static List<Arguments> maskedNetworks() {
        List<Arguments> cases = new ArrayList<>();
        for (Recurrent recurrent : List.of(Recurrent.LSTM, Recurrent.SIMPLE_RNN)) {
            for (String position : List.of("before", "after")) {
                for (DropoutKind dropout : DROPOUTS) {
                    cases.add(Arguments.of(recurrent, position, dropout));
                }
            }
        }
        return cases;
    }

    /**
     * Padded time steps (after each sequence's length, masked in the features and the labels) change neither
     * the score nor any parameter gradient, with the dropout layer before or after the recurrent layer; without
     * the masks the same padding does change them, so the comparison can fail.
     */
    @ParameterizedTest(name = "{0}, {2} {1}")
    @MethodSource("maskedNetworks")
    void paddedStepsChangeNoParameterGradient(Recurrent recurrent, String position, DropoutKind dropout) {
        int steps = 6;
        org.deeplearning4j.nn.conf.layers.Layer drop = dropout.layer().apply(0.5, false);
        org.deeplearning4j.nn.conf.layers.Layer[] layers = position.equals("before")
                ? new org.deeplearning4j.nn.conf.layers.Layer[] {drop, recurrent.layer()}
                : new org.deeplearning4j.nn.conf.layers.Layer[] {recurrent.layer(), drop};
        MultiLayerNetwork net = network(CacheMode.NONE, steps, false, layers);
        int[] lengths = {6, 4, 2, 5};
        INDArray mask = Nd4j.zeros(DataType.FLOAT, MINIBATCH, steps);
        for (int n = 0; n < MINIBATCH; n++) {
            mask.get(NDArrayIndex.point(n), NDArrayIndex.interval(0, lengths[n])).assign(1);
        }
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, MINIBATCH, FEATURES, steps);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, MINIBATCH, OUTPUTS, steps);
        INDArray padding = mask.reshape(MINIBATCH, 1, steps).rsub(1);
        INDArray otherX = x.add(IntegrationNets.randn(3, DataType.FLOAT, x.shape()).mul(padding.broadcast(x.shape())));
        INDArray otherY = y.add(IntegrationNets.randn(4, DataType.FLOAT, y.shape()).mul(padding.broadcast(y.shape())));

        Gradients masked = gradients(net, x, y, mask);
        Gradients maskedOtherPadding = gradients(net, otherX, otherY, mask);
        assertEquals(masked.score(), maskedOtherPadding.score(), 0, "score");
        assertArrayEquals(rowMajor(masked.flat()), rowMajor(maskedOtherPadding.flat()), 0f, "parameter gradients");

        assertNotEquals(gradients(net, x, y, null).flat(), gradients(net, otherX, otherY, null).flat(),
                "without masks the padding must matter (else this test cannot fail)");
    }

    record Gradients(double score, INDArray flat) {
    }

    private static Gradients gradients(MultiLayerNetwork net, INDArray x, INDArray y, INDArray mask) {
        net.setInput(x);
        net.setLabels(y);
        net.setLayerMaskArrays(mask, mask);
        Nd4j.getRandom().setSeed(SEED);
        net.computeGradientAndScore();
        Gradients result = new Gradients(net.score(), net.gradient().gradient().dup());
        net.clearLayerMaskArrays();
        return result;
    }

    // ---------------------------------------------------------------- in place after cached LSTMs

    static List<Arguments> cachedLstms() {
        List<Arguments> cases = new ArrayList<>();
        for (Recurrent recurrent : List.of(Recurrent.LSTM, Recurrent.GRAVES_LSTM)) {
            for (CacheMode cacheMode : List.of(CacheMode.DEVICE, CacheMode.HOST)) {
                // Element-wise standard and alpha: alpha overwrites dropped outputs with non-zero values.
                for (DropoutKind dropout : List.of(DROPOUT, ALPHA_DROPOUT)) {
                    cases.add(Arguments.of(recurrent, cacheMode, dropout));
                }
            }
        }
        return cases;
    }

    /**
     * inplace=true right after an LSTM or GravesLSTM whose forward pass DL4J caches (CacheMode DEVICE, HOST)
     * overwrites the LSTM's output, and scores, gradients and trained parameters are exactly those of the same
     * network with the write withdrawn (DL4J's {@code allowInputModification(false)}: the layer then allocates,
     * as with inplace=false), same seeds.
     */
    @ParameterizedTest(name = "{0}, CacheMode.{1}: {2}")
    @MethodSource("cachedLstms")
    void inPlaceAfterACachedLstmChangesNoResult(Recurrent recurrent, CacheMode cacheMode, DropoutKind dropout) {
        int steps = 5;
        MultiLayerNetwork net = network(cacheMode, steps, false, recurrent.layer(), dropout.layer().apply(0.5, true));
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, MINIBATCH, FEATURES, steps);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, MINIBATCH, OUTPUTS, steps);
        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> activations = net.feedForward(x, true);
        assertEquals(activations.get(2), activations.get(1), "the dropout must have overwritten the LSTM's output");

        INDArray initial = net.params().dup();
        Trained inPlace = train(net, x, y);
        net.setParams(initial);
        net.getLayer(1).allowInputModification(false);
        Trained copying = train(net, x, y);
        assertEquals(copying.gradients().score(), inPlace.gradients().score(), 0, "score");
        assertArrayEquals(rowMajor(copying.gradients().flat()), rowMajor(inPlace.gradients().flat()), 0f, "gradients");
        assertArrayEquals(rowMajor(copying.params()), rowMajor(inPlace.params()), 0f, "parameters after fitting");
        assertNotEquals(initial, inPlace.params(), "fitting must change the parameters");
    }

    record Trained(Gradients gradients, INDArray params) {
    }

    /** One gradient computation, then three fits, from seed {@code SEED}. */
    private static Trained train(MultiLayerNetwork net, INDArray x, INDArray y) {
        Gradients gradients = gradients(net, x, y, null);
        Nd4j.getRandom().setSeed(SEED + 1);
        for (int i = 0; i < 3; i++) {
            net.fit(new DataSet(x, y));
        }
        return new Trained(gradients, net.params().dup());
    }

    // ---------------------------------------------------------------- truncated BPTT and rnnTimeStep

    /**
     * Truncated BPTT (12 steps in segments of 4) with the layer after an LSTM: training changes the parameters,
     * keeps the score finite and repeats exactly from the same seed; at p = 0 it trains exactly as the network
     * without the layer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dropouts")
    void truncatedBpttTrainsReproduciblyAndTheIdentityIsTransparent(DropoutKind dropout) {
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, MINIBATCH, FEATURES, 12);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, MINIBATCH, OUTPUTS, 12);
        MultiLayerNetwork net = network(CacheMode.NONE, 12, true, Recurrent.LSTM.layer(),
                dropout.layer().apply(0.5, false));
        INDArray initial = net.params().dup();
        INDArray first = fitTbptt(net, x, y);
        assertTrue(Double.isFinite(net.score()), "score " + net.score());
        assertNotEquals(initial, first, "training must change the parameters");
        net.setParams(initial);
        assertEquals(first, fitTbptt(net, x, y), "the same seed must give the same training");

        MultiLayerNetwork identity = network(CacheMode.NONE, 12, true, Recurrent.LSTM.layer(),
                dropout.layer().apply(0.0, false));
        MultiLayerNetwork plain = network(CacheMode.NONE, 12, true, Recurrent.LSTM.layer());
        identity.setParams(initial);
        plain.setParams(initial);
        assertArrayEquals(rowMajor(fitTbptt(plain, x, y)), rowMajor(fitTbptt(identity, x, y)), 0f,
                "p = 0 must train as the network without the layer");
    }

    private static INDArray fitTbptt(MultiLayerNetwork net, INDArray x, INDArray y) {
        net.rnnClearPreviousState();
        Nd4j.getRandom().setSeed(SEED);
        for (int i = 0; i < 3; i++) {
            net.fit(new DataSet(x, y));
        }
        return net.params().dup();
    }

    /**
     * {@code rnnTimeStep} (inference, the layer the identity) one step at a time and in chunks gives exactly what
     * the network without the layer gives, and, up to float rounding, the whole sequence's {@code output}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dropouts")
    void rnnTimeStepIsTheIdentity(DropoutKind dropout) {
        int steps = 7;
        MultiLayerNetwork net = network(CacheMode.NONE, steps, false, Recurrent.LSTM.layer(),
                dropout.layer().apply(0.5, true));
        MultiLayerNetwork plain = network(CacheMode.NONE, steps, false, Recurrent.LSTM.layer());
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, MINIBATCH, FEATURES, steps);
        INDArray y = IntegrationNets.randn(2, DataType.FLOAT, MINIBATCH, OUTPUTS, steps);
        Nd4j.getRandom().setSeed(SEED);
        net.fit(new DataSet(x, y));
        plain.setParams(net.params());
        INDArray whole = net.output(x);

        net.rnnClearPreviousState();
        plain.rnnClearPreviousState();
        for (int t = 0; t < steps; t++) {
            INDArray step = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t));
            INDArray out = net.rnnTimeStep(step);
            assertArrayEquals(rowMajor(plain.rnnTimeStep(step)), rowMajor(out), 0f, "step " + t);
            INDArray expected = whole.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t));
            assertTrue(expected.equalsWithEps(out, 1e-5), "step " + t + ": " + out + " vs " + expected);
        }
        net.rnnClearPreviousState();
        for (int[] chunk : new int[][] {{0, 3}, {3, steps}}) {
            INDArrayIndex[] range = {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(chunk[0], chunk[1])};
            assertTrue(whole.get(range).equalsWithEps(net.rnnTimeStep(x.get(range)), 1e-5),
                    "steps " + Arrays.toString(chunk));
        }
    }
}
