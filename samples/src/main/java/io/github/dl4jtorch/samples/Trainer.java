package io.github.dl4jtorch.samples;

import java.util.Arrays;
import java.util.Random;

import io.github.dl4jtorch.samples.data.LabeledImages;
import io.github.dl4jtorch.samples.data.MnistData;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Minibatch training with a fresh shuffle every epoch, as a PyTorch {@code DataLoader} with
 * {@code shuffle=True} does, and evaluation after each epoch.
 */
public final class Trainer {

    /** Rows per forward pass when evaluating; only bounds memory, results do not depend on it. */
    private static final int EVAL_CHUNK = 2048;

    /** Told about every finished epoch. */
    @FunctionalInterface
    public interface EpochListener {
        /**
         * @param run     the run the epoch belongs to
         * @param metrics what the epoch achieved
         */
        void epochDone(TrainingRun run, EpochMetrics metrics);
    }

    private final INDArray trainFeatures;
    private final INDArray trainOneHot;
    private final int[] trainLabels;
    private final INDArray testFeatures;
    private final int[] testLabels;

    /** Converts the data to arrays once; the trainer can then train any number of networks on it. */
    public Trainer(MnistData data) {
        trainFeatures = data.train().features();
        trainOneHot = data.train().oneHotLabels(data.classes());
        trainLabels = labels(data.train());
        testFeatures = data.test().features();
        testLabels = labels(data.test());
    }

    /** The test images as a {@code [count, pixels]} matrix. */
    public INDArray testFeatures() {
        return testFeatures;
    }

    /**
     * Trains the run's network for {@code epochs} epochs.
     *
     * @param run       the network and where its metrics go
     * @param epochs    number of passes over the training set
     * @param batchSize examples per minibatch; the last one of an epoch may be smaller
     * @param seed      seed of the shuffling: runs with equal seeds see the same minibatches
     * @param listener  told after every epoch
     */
    public void train(TrainingRun run, int epochs, int batchSize, long seed, EpochListener listener) {
        MultiLayerNetwork network = run.network();
        Random shuffler = new Random(seed);
        int[] order = new int[trainLabels.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int epoch = 1; epoch <= epochs; epoch++) {
            long start = System.nanoTime();
            shuffle(order, shuffler);
            double lossSum = 0;
            for (int from = 0; from < order.length; from += batchSize) {
                int[] batch = Arrays.copyOfRange(order, from, Math.min(order.length, from + batchSize));
                network.fit(new DataSet(Nd4j.pullRows(trainFeatures, 1, batch), Nd4j.pullRows(trainOneHot, 1, batch)));
                // score() is the minibatch's mean loss, computed on the forward pass before the update.
                lossSum += network.score() * batch.length;
            }
            double trainAcc = accuracy(network, trainFeatures, trainLabels);
            double testAcc = accuracy(network, testFeatures, testLabels);
            EpochMetrics metrics = new EpochMetrics(epoch, lossSum / order.length, trainAcc, testAcc,
                    (System.nanoTime() - start) / 1e9);
            run.add(metrics);
            listener.epochDone(run, metrics);
        }
    }

    /**
     * Fraction of examples whose most probable class is the label, with the network in evaluation
     * mode (dropout off).
     */
    public static double accuracy(MultiLayerNetwork network, INDArray features, int[] labels) {
        int correct = 0;
        for (int from = 0; from < labels.length; from += EVAL_CHUNK) {
            int to = Math.min(labels.length, from + EVAL_CHUNK);
            INDArray predicted = network.output(features.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()), false)
                    .argMax(1);
            for (int i = from; i < to; i++) {
                if (predicted.getInt(i - from) == labels[i]) {
                    correct++;
                }
            }
        }
        return correct / (double) labels.length;
    }

    /** Fisher-Yates shuffle driven by {@code random}, so a seed fixes every epoch's order. */
    private static void shuffle(int[] values, Random random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }

    private static int[] labels(LabeledImages split) {
        int[] labels = new int[split.count()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = split.label(i);
        }
        return labels;
    }
}
