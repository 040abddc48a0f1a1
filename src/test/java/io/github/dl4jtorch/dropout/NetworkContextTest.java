package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutOracle.Lane;
import io.github.dl4jtorch.dropout.DropoutOracle.Rule;
import io.github.dl4jtorch.dropout.IntegrationNets.Case;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The layers in whole DL4J networks: channel masks in every layout, half-precision networks, and a soak.
 */
class NetworkContextTest {

    private static final long SEED = 12345;

    static List<Case> channelCases() {
        return IntegrationNets.channelCases();
    }

    /**
     * In training, each channel of each example is kept or dropped as a whole along the layout's channel axis,
     * and the mask varies along the batch axis. With 16 examples, 3 channels and p = 0.5, the mask is the same
     * for all examples of every channel with probability (2 * 2^-16)^3 = 2^-45, for all 9 layouts below 3e-13.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("channelCases")
    void channelMasksVaryAlongTheBatchInEveryLayout(Case c) {
        int minibatch = 16;
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.mlnConf(c, 0.5, false,
                IntegrationNets.base(SEED, DataType.FLOAT, new Sgd(0.1), WorkspaceMode.ENABLED)));
        INDArray x = IntegrationNets.randn(1, DataType.FLOAT, c.layout().shape(minibatch));
        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> activations = net.feedForward(x, true);
        INDArray in = activations.get(1);
        INDArray out = activations.get(2);
        long[] maskShape = DropoutOracle.keepAxes(out.shape(), 0, c.layout().channelAxis);
        Lane[] lanes = DropoutOracle.lanes(rowMajorDouble(in), rowMajorDouble(out), out.shape(), maskShape, null,
                new Rule(DataType.FLOAT, 0.5, c.alpha()).forward());
        boolean[] kept = new boolean[lanes.length];
        for (int lane = 0; lane < lanes.length; lane++) {
            assertTrue(lanes[lane] != Lane.EITHER, "lane " + lane + " undetermined");
            kept[lane] = lanes[lane] == Lane.KEPT;
        }
        DropoutChecks.assertVariesAlong(kept, maskShape, 0);
    }

    /**
     * Half and bfloat16 networks train (a few fits: finite score, parameters and outputs), and their dropout
     * layers drop exactly as the spec says in the type: each element x * 0 or its kept value rounded to the
     * type, with a share of dropped elements near p. Each layer has 64 x 32 = 2048 lanes; a count more than 6
     * standard deviations from n p has probability about 2e-9, for the four checks below 1e-8.
     */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"HALF", "BFLOAT16"})
    void halfPrecisionNetworksTrainAndDropExactly(DataType type) {
        // Built in float, then converted: DL4J's configuration builder refuses bfloat16, its conversion does not.
        // Identity activations: ND4J's tanh_bp has no bfloat16 kernel.
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.base(SEED, DataType.FLOAT, new Sgd(0.05),
                        WorkspaceMode.ENABLED).list()
                .layer(new DenseLayer.Builder().nIn(16).nOut(32).activation(Activation.IDENTITY).build())
                .layer(new Dropout(0.3))
                .layer(new DenseLayer.Builder().nOut(32).activation(Activation.IDENTITY).build())
                .layer(new AlphaDropout(0.2))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(4).activation(Activation.IDENTITY).build())
                .setInputType(InputType.feedForward(16))
                .build()).convertDataType(type);
        assertEquals(type, net.params().dataType());
        INDArray x = IntegrationNets.randn(1, type, 64, 16);
        INDArray y = IntegrationNets.randn(2, type, 64, 4);
        Nd4j.getRandom().setSeed(SEED);
        for (int i = 0; i < 5; i++) {
            net.fit(new DataSet(x, y));
            assertTrue(Double.isFinite(net.score()), "score after fit " + i + ": " + net.score());
        }
        assertAllFinite(net.params(), "parameters");
        assertAllFinite(net.output(x), "output");

        Nd4j.getRandom().setSeed(SEED);
        List<INDArray> activations = net.feedForward(x, true);
        assertAllFinite(activations.get(5), "training output");
        assertDropsExactlyAndAbout(activations.get(1), activations.get(2), new Rule(type, 0.3, false));
        assertDropsExactlyAndAbout(activations.get(3), activations.get(4), new Rule(type, 0.2, true));
    }

    private static void assertAllFinite(INDArray a, String what) {
        for (float v : rowMajor(a)) {
            assertTrue(Float.isFinite(v), what + " has " + v);
        }
    }

    private static void assertDropsExactlyAndAbout(INDArray in, INDArray out, Rule rule) {
        assertEquals(rule.type(), out.dataType());
        Lane[] lanes = DropoutOracle.lanes(rowMajorDouble(in), rowMajorDouble(out), out.shape(), out.shape(), null,
                rule.forward());
        long dropped = Arrays.stream(lanes).filter(l -> l == Lane.DROPPED).count();
        long known = Arrays.stream(lanes).filter(l -> l != Lane.EITHER).count();
        double expected = known * rule.p();
        double sd = Math.sqrt(known * rule.p() * (1 - rule.p()));
        assertTrue(known > lanes.length * 0.9, rule + ": only " + known + " of " + lanes.length + " lanes determined");
        assertTrue(Math.abs(dropped - expected) <= 6 * sd, rule + ": " + dropped + " of " + known + " dropped");
    }

    /**
     * 300 fits of a network with every path of the layers (an in-place channel mask on a 256 KiB activation,
     * element-wise standard and alpha masks): after 50 fits of warm-up, the memory JavaCPP tracks stays within
     * 16 MiB, where leaking that activation once per fit would add 62 MiB, and the process's resident memory
     * within 128 MiB (a coarse bound: the JVM's heap and code cache move it; 0 and 16 to 50 MiB were measured
     * when this was written).
     */
    @Test
    void soakKeepsNativeMemoryFlat() throws InterruptedException {
        MultiLayerNetwork net = IntegrationNets.mln(IntegrationNets.base(SEED, DataType.FLOAT, new Sgd(0.01),
                        WorkspaceMode.ENABLED).list()
                .layer(new ConvolutionLayer.Builder(1, 1).nOut(8).activation(Activation.TANH)
                        .dataFormat(CNN2DFormat.NHWC).build())
                .layer(new Dropout2d(0.2, true))
                .layer(new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(4, 4).stride(4, 4)
                        .dataFormat(CNN2DFormat.NHWC).build())
                .layer(new DenseLayer.Builder().nOut(16).activation(Activation.TANH).build())
                .layer(new Dropout(0.5, true))
                .layer(new AlphaDropout(0.1))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(4).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(16, 16, 4, CNN2DFormat.NHWC))
                .build());
        DataSet data = new DataSet(IntegrationNets.randn(1, DataType.FLOAT, 32, 16, 16, 4),
                IntegrationNets.randn(2, DataType.FLOAT, 32, 4));
        Nd4j.getRandom().setSeed(SEED);
        for (int i = 0; i < 50; i++) {
            net.fit(data);
        }
        long[] warm = settledMemory();
        for (int i = 0; i < 250; i++) {
            net.fit(data);
        }
        long[] end = settledMemory();
        assertTrue(Double.isFinite(net.score()), "score " + net.score());
        long trackedDrift = end[0] - warm[0];
        long residentDrift = end[1] - warm[1];
        assertTrue(trackedDrift <= 16L << 20, "JavaCPP-tracked memory grew by " + trackedDrift + " bytes");
        assertTrue(residentDrift <= 128L << 20, "resident memory grew by " + residentDrift + " bytes");
    }

    /** JavaCPP's tracked bytes and the process's resident bytes, after collecting what is unreachable. */
    private static long[] settledMemory() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return new long[] {Pointer.totalBytes(), Pointer.physicalBytes()};
    }
}
