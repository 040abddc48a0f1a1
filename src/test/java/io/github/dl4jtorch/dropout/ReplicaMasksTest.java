package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Replicas of one network whose threads were seeded alike, as DL4J seeds every {@code ParallelWrapper} worker and
 * every clone's {@code init()}, draw different masks (DL4J's own dropout draws the same one: shown side by side),
 * while one thread seeded alike twice draws the same, and two layers of one network never share a mask.
 *
 * <p>Masks are read as the zeros of the dropout's output on an all-ones input: 4096 lanes at p = 0.5. Two independent
 * masks agree on a lane with probability 1/2; agreeing on more than 2,458 of 4,096 (60%) has probability below
 * 1e-37 (Hoeffding, exp(-2 * 4096 * 0.1^2)), which is the false-failure rate of {@link #assertIndependent}.
 */
class ReplicaMasksTest {

    private static final int UNITS = 4096;
    private static final long SEED = 42;

    /** identity -> {@code layers} -> an output layer unless the last of them is one. */
    private static MultiLayerNetwork network(Layer... layers) {
        NeuralNetConfiguration.ListBuilder list = new NeuralNetConfiguration.Builder().seed(SEED).updater(new Sgd(0))
                .list().layer(new ActivationLayer(Activation.IDENTITY));
        for (Layer layer : layers) {
            list.layer(layer);
        }
        if (!(layers[layers.length - 1] instanceof OutputLayer)) {
            list.layer(output().build());
        }
        MultiLayerNetwork net = new MultiLayerNetwork(list.build());
        net.init();
        return net;
    }

    private static OutputLayer.Builder output() {
        return new OutputLayer.Builder(LossFunction.MSE).nIn(UNITS).nOut(1).activation(Activation.IDENTITY);
    }

    /** Our layer, and our IDropout on the output layer's input (DL4J's ActivationLayer ignores any IDropout). */
    private static List<Supplier<Layer>> dropouts() {
        return List.of(() -> new Dropout(0.5), () -> output().dropOut(new TorchDropout(0.5)).build());
    }

    /** The zero pattern of layer 1's training output on ones, or of layer 1's dropped input for an IDropout. */
    private static boolean[] mask(MultiLayerNetwork net) {
        net.setInput(Nd4j.ones(DataType.FLOAT, 1, UNITS));
        List<INDArray> activations = net.feedForward(true, false); // keeps the layers' (dropped) inputs
        INDArray dropped = net.getLayer(1).conf().getLayer() instanceof AbstractDropout ? activations.get(2)
                : net.getLayer(1).input();
        boolean[] mask = new boolean[UNITS];
        for (int i = 0; i < UNITS; i++) {
            mask[i] = dropped.getFloat(0, i) != 0;
        }
        return mask;
    }

    private static int agreements(boolean[] a, boolean[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            same += a[i] == b[i] ? 1 : 0;
        }
        return same;
    }

    private static void assertIndependent(boolean[] a, boolean[] b, String what) {
        int same = agreements(a, b);
        assertTrue(same < 0.6 * UNITS, what + ": " + same + " of " + UNITS + " lanes agree");
    }

    /** Each replica on its own thread, its thread's generator seeded alike (what init() does to each worker). */
    private static List<boolean[]> masksOfReplicasOnTwoThreads(MultiLayerNetwork original) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            List<Future<boolean[]>> masks = List.of(1, 2).stream().map(i -> threads.submit(() -> {
                MultiLayerNetwork replica = original.clone();
                Nd4j.getRandom().setSeed(SEED);
                return mask(replica);
            })).toList();
            return List.of(masks.get(0).get(), masks.get(1).get());
        } finally {
            threads.shutdown();
        }
    }

    @Test
    void replicasOnThreadsSeededAlikeDrawDifferentMasks() throws Exception {
        for (Supplier<Layer> dropout : dropouts()) {
            List<boolean[]> masks = masksOfReplicasOnTwoThreads(network(dropout.get()));
            assertIndependent(masks.get(0), masks.get(1), dropout.get().toString());
        }
    }

    /** What DL4J's own dropout does in the same setting: the replicas drop exactly the same units. */
    @Test
    void dl4jOwnDropoutDrawsOneMaskForAllReplicas() throws Exception {
        List<boolean[]> masks = masksOfReplicasOnTwoThreads(network(new DropoutLayer(0.5)));
        assertEquals(UNITS, agreements(masks.get(0), masks.get(1)));
        masks = masksOfReplicasOnTwoThreads(network(output().dropOut(0.5).build()));
        assertEquals(UNITS, agreements(masks.get(0), masks.get(1)));
    }

    @Test
    void oneThreadSeededAlikeTwiceDrawsTheSameMask() {
        for (Supplier<Layer> dropout : dropouts()) {
            MultiLayerNetwork net = network(dropout.get());
            Nd4j.getRandom().setSeed(SEED);
            boolean[] first = mask(net);
            boolean[] next = mask(net);
            Nd4j.getRandom().setSeed(SEED);
            boolean[] again = mask(net.clone());
            assertEquals(UNITS, agreements(first, again), dropout.get() + ": the seed reproduces the mask");
            assertIndependent(first, next, dropout.get() + ": consecutive passes");
        }
    }

    /**
     * Two layers of one network, same input shape, never share a mask: of the lanes the first kept, the second drops
     * about half (a shared mask would drop none). With n kept lanes (n > 256 but with probability below 1e-50), a
     * fraction outside (0.3, 0.7) has probability below 2 exp(-2 n 0.2^2) < 1e-8.
     */
    @Test
    void twoLayersOfOneNetworkDrawDifferentMasks() {
        MultiLayerNetwork layers = network(new Dropout(0.5), new Dropout(0.5));
        Nd4j.getRandom().setSeed(SEED);
        layers.setInput(Nd4j.ones(DataType.FLOAT, 1, UNITS));
        List<INDArray> activations = layers.feedForward(true, false);
        assertSecondDropsAboutHalf(activations.get(2), activations.get(3), "two Dropout layers");

        // One TorchDropout on two dense layers whose weights are the identity, so the second sees the first's input.
        int width = 1024;
        TorchDropout shared = new TorchDropout(0.5);
        MultiLayerNetwork dense = new MultiLayerNetwork(new NeuralNetConfiguration.Builder().seed(SEED).list()
                .layer(new DenseLayer.Builder().nIn(width).nOut(width).activation(Activation.IDENTITY).dropOut(shared).build())
                .layer(new DenseLayer.Builder().nIn(width).nOut(width).activation(Activation.IDENTITY).dropOut(shared).build())
                .layer(new OutputLayer.Builder(LossFunction.MSE).nIn(width).nOut(1).activation(Activation.IDENTITY).build())
                .build());
        dense.init();
        for (int i = 0; i < 2; i++) {
            dense.getLayer(i).setParam("W", Nd4j.eye(width).castTo(DataType.FLOAT));
            dense.getLayer(i).setParam("b", Nd4j.zeros(DataType.FLOAT, 1, width));
        }
        Nd4j.getRandom().setSeed(SEED);
        dense.setInput(Nd4j.ones(DataType.FLOAT, 1, width));
        dense.feedForward(true, false);
        assertSecondDropsAboutHalf(dense.getLayer(0).input(), dense.getLayer(1).input(), "one TorchDropout on two layers");
    }

    private static void assertSecondDropsAboutHalf(INDArray first, INDArray second, String what) {
        int kept = 0;
        int droppedAfter = 0;
        for (int i = 0; i < first.length(); i++) {
            if (first.getFloat(0, i) != 0) {
                kept++;
                droppedAfter += second.getFloat(0, i) == 0 ? 1 : 0;
            }
        }
        assertTrue(kept > 256 && droppedAfter > 0.3 * kept && droppedAfter < 0.7 * kept,
                what + ": " + droppedAfter + " of " + kept + " lanes dropped");
    }
}
