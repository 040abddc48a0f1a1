package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import io.github.dl4jtorch.samples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.deeplearning4j.parallelism.ParallelInference;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.inference.InferenceMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The samples' network on the embedded digits: with a Dropout layer and with {@code .dropOut(new TorchDropout(p))} on
 * the output layer it trains identically; under DL4J's {@code ParallelWrapper} (2 workers) both learn, with the
 * workers drawing different masks; {@code ParallelInference} returns exactly {@code net.output(x)}.
 */
class ParallelAndIDropoutTest {

    private static final int HIDDEN = 64;
    private static final long SEED = 3;

    private static DataSet train;
    private static DataSet test;

    @BeforeAll
    static void digits() throws IOException {
        MnistData data = MnistData.embedded();
        train = data.train().dataSet(data.classes());
        test = data.test().dataSet(data.classes());
    }

    private static MultiLayerNetwork network(Model model) {
        return MnistNetworks.build(model, 784, HIDDEN, 10, 0.2, 1e-3, SEED);
    }

    /** ReLU and dropout commute, and both forms draw one key per pass: the same training, bit for bit. */
    @Test
    void dropoutLayerAndIDropoutOnTheOutputLayerTrainTheSame() {
        INDArray[] params = new INDArray[2];
        int i = 0;
        for (Model model : List.of(Model.NET, Model.NET_IDROPOUT)) {
            MultiLayerNetwork net = network(model);
            Nd4j.getRandom().setSeed(SEED);
            net.fit(new InMemoryDataSetIterator(train, 64, SEED));
            params[i++] = net.params().dup();
        }
        assertEquals(params[0], params[1]);
        assertTrue(network(Model.NET).params().neq(params[0]).any(), "training changed the parameters");
    }

    /**
     * Two workers, averaging every 4 minibatches, 2 epochs: both forms learn (chance is 10%; one machine reaches ~90%
     * after one epoch). For {@code net}, each worker's first training pass is recorded: the Dropout layer's zero pattern
     * on its 64 x 64 activations (its input, a dense output with identity activation, is never zero). Two independent masks at p = 0.2 agree on a lane with probability 0.68; agreeing on more than 90%
     * of 4,096 lanes has probability below exp(-2 * 4096 * 0.22^2) < 1e-170. Identical masks would agree on all.
     */
    @Test
    void parallelWrapperWorkersLearnWithDifferentMasks() throws Exception {
        for (Model model : List.of(Model.NET, Model.NET_IDROPOUT)) {
            MultiLayerNetwork net = network(model);
            Map<String, boolean[]> firstMaskPerThread = new ConcurrentHashMap<>();
            try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(net).workers(2).averagingFrequency(4)
                    .prefetchBuffer(4).reportScoreAfterAveraging(false).build()) {
                wrapper.setListeners(new BaseTrainingListener() {
                    @Override
                    public void onBackwardPass(org.deeplearning4j.nn.api.Model worker) {
                        INDArray dropped = ((MultiLayerNetwork) worker).getLayer(2).input(); // the ReLU's input
                        firstMaskPerThread.computeIfAbsent(Thread.currentThread().getName(), name -> zeros(dropped));
                    }
                });
                for (int epoch = 0; epoch < 2; epoch++) {
                    wrapper.fit(new InMemoryDataSetIterator(train, 64, SEED + epoch));
                }
            }
            double accuracy = net.evaluate(new InMemoryDataSetIterator(test, 256)).accuracy();
            assertTrue(accuracy > 0.8, model + ": accuracy " + accuracy);
            assertEquals(2, firstMaskPerThread.size(), "two workers: " + firstMaskPerThread.keySet());
            if (model != Model.NET) {
                continue; // after the ReLU, zeros are not the mask alone (ReplicaMasksTest covers TorchDropout)
            }
            List<boolean[]> masks = List.copyOf(firstMaskPerThread.values());
            int agree = 0;
            for (int j = 0; j < masks.get(0).length; j++) {
                agree += masks.get(0)[j] == masks.get(1)[j] ? 1 : 0;
            }
            assertTrue(agree < 0.9 * masks.get(0).length, model + ": " + agree + " of " + masks.get(0).length + " agree");
        }
    }

    /** Where the dropped activation is zero (its input, a dense output with identity activation, never is). */
    private static boolean[] zeros(INDArray dropped) {
        INDArray flat = dropped.dup('c').reshape(-1);
        boolean[] zero = new boolean[(int) flat.length()];
        for (int i = 0; i < zero.length; i++) {
            zero[i] = flat.getDouble(i) == 0;
        }
        return zero;
    }

    /**
     * SEQUENTIAL and INPLACE, and BATCHED for requests that are not merged, give exactly {@code net.output(x)}: dropout
     * is the identity in evaluation. (BATCHED merges concurrent requests into one minibatch, which changes the
     * summation order of the dense layers by ~1e-7 with or without dropout.)
     */
    @Test
    void parallelInferenceIsExactlyTheNetworksOutput() throws Exception {
        for (Model model : List.of(Model.NET, Model.NET_IDROPOUT)) {
            MultiLayerNetwork net = network(model);
            net.fit(new InMemoryDataSetIterator(train, 64, SEED));
            INDArray x = test.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 32),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).dup();
            INDArray expected = net.output(x);
            for (InferenceMode mode : InferenceMode.values()) {
                ParallelInference inference = new ParallelInference.Builder(net).inferenceMode(mode).workers(2).build();
                try {
                    assertEquals(expected, inference.output(x), model + " " + mode);
                } finally {
                    inference.shutdown();
                }
            }
        }
    }
}
