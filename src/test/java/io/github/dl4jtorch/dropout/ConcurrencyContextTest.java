package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The layers on several threads at once: networks (and clones) training concurrently, each from its own ND4J
 * seed, give exactly what each gives alone on one thread. The network has a channel mask (expanded in a
 * per-thread workspace) and element-wise masks (applied in parallel chunks), standard and alpha.
 */
class ConcurrencyContextTest {

    private static final int FITS = 8;
    private static final DataSet DATA = new DataSet(IntegrationNets.randn(1, DataType.FLOAT, 16, 4, 4, 2),
            IntegrationNets.randn(2, DataType.FLOAT, 16, 2));

    /** NHWC conv -> Dropout2d -> dense -> AlphaDropout -> Dropout -> output. */
    private static MultiLayerNetwork network() {
        return IntegrationNets.mln(IntegrationNets.base(42, DataType.FLOAT, new Sgd(0.05), WorkspaceMode.ENABLED).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH)
                        .convolutionMode(ConvolutionMode.Same).dataFormat(CNN2DFormat.NHWC).build())
                .layer(new Dropout2d(0.3))
                .layer(new DenseLayer.Builder().nOut(8).activation(Activation.TANH).build())
                .layer(new AlphaDropout(0.2))
                .layer(new Dropout(0.3))
                .layer(new OutputLayer.Builder(LossFunction.MSE).nOut(2).activation(Activation.IDENTITY).build())
                .setInputType(InputType.convolutional(4, 4, 2, CNN2DFormat.NHWC))
                .build());
    }

    /** {@code FITS} fits from ND4J seed {@code seed} on the calling thread; the parameters after them. */
    private static INDArray train(MultiLayerNetwork net, long seed) {
        Nd4j.getRandom().setSeed(seed);
        for (int i = 0; i < FITS; i++) {
            net.fit(DATA);
        }
        return net.params().dup();
    }

    /**
     * Trains each network alone from its seed on its own thread, one network at a time, then all of them again from
     * the same parameters and seeds on the same threads, started together; asserts each concurrent result equals its
     * lone one. (Each network keeps its thread: masks depend on the seed and on the thread, so that replicas seeded
     * alike draw different masks.)
     */
    private static void assertConcurrentTrainingReproducesLoneTraining(List<MultiLayerNetwork> nets) throws Exception {
        List<ExecutorService> threads = new ArrayList<>();
        for (int i = 0; i < nets.size(); i++) {
            threads.add(Executors.newSingleThreadExecutor());
        }
        try {
            List<INDArray> initial = new ArrayList<>();
            List<INDArray> alone = new ArrayList<>();
            for (int i = 0; i < nets.size(); i++) {
                MultiLayerNetwork net = nets.get(i);
                long seed = 1000 + i;
                initial.add(net.params().dup());
                alone.add(threads.get(i).submit(() -> train(net, seed)).get());
                net.setParams(initial.get(i));
            }
            assertFalse(Arrays.equals(rowMajor(alone.get(0)), rowMajor(alone.get(1))),
                    "different seeds must train differently (else the comparison proves nothing)");

            CyclicBarrier start = new CyclicBarrier(nets.size());
            List<Future<INDArray>> together = new ArrayList<>();
            for (int i = 0; i < nets.size(); i++) {
                MultiLayerNetwork net = nets.get(i);
                long seed = 1000 + i;
                together.add(threads.get(i).submit(() -> {
                    start.await();
                    return train(net, seed);
                }));
            }
            for (int i = 0; i < nets.size(); i++) {
                assertArrayEquals(rowMajor(alone.get(i)), rowMajor(together.get(i).get()), 0f,
                        "network " + i + ": trained on its own thread beside the others");
            }
        } finally {
            threads.forEach(ExecutorService::shutdownNow);
        }
    }

    @Test
    void eightThreadsWithTheirOwnNetworksAndSeedsReproduceTheirLoneResults() throws Exception {
        List<MultiLayerNetwork> nets = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            nets.add(network());
        }
        assertConcurrentTrainingReproducesLoneTraining(nets);
    }

    @Test
    void clonesOnFourThreadsReproduceTheirLoneResults() throws Exception {
        MultiLayerNetwork original = network();
        List<MultiLayerNetwork> clones = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clones.add(original.clone());
        }
        assertConcurrentTrainingReproducesLoneTraining(clones);
    }
}
