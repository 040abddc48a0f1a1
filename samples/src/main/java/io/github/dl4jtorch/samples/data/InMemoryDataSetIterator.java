package io.github.dl4jtorch.samples.data;

import java.util.Arrays;
import java.util.NoSuchElementException;
import java.util.Random;
import java.util.stream.IntStream;

import org.deeplearning4j.datasets.iterator.BaseDatasetIterator;
import org.nd4j.common.util.MathUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.fetcher.BaseDataFetcher;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A data set held in memory, served in minibatches as Deeplearning4j's own
 * {@code MnistDataSetIterator} serves MNIST: a {@link BaseDatasetIterator} over a fetcher that pulls
 * each minibatch's rows.
 *
 * <p>Shuffled, it serves the rows in a new random order every epoch, as a PyTorch
 * {@code DataLoader(shuffle=True)} does: the first order is drawn on construction, the next one by
 * each {@link #reset()}, which {@code MultiLayerNetwork.fit} calls when an epoch begins on a used-up
 * iterator. The orders come from a {@link Random} seeded once, so the same seed gives the same
 * minibatches epoch for epoch. Unshuffled, it serves the rows in the data set's order (for
 * evaluation).
 *
 * <p>Example:
 * <pre>{@code
 * DataSetIterator train = new InMemoryDataSetIterator(data.train().dataSet(10), 64, 1L);
 * network.fit(train, 20);                       // 20 epochs, each in its own order
 * Evaluation test = network.evaluate(new InMemoryDataSetIterator(data.test().dataSet(10), 2048));
 * }</pre>
 */
public final class InMemoryDataSetIterator extends BaseDatasetIterator {

    /**
     * Serves the examples in a new random order every epoch.
     *
     * @param examples features {@code [count, inputs]} and labels {@code [count, classes]}
     * @param batch    examples per minibatch; the last one of an epoch may be smaller
     * @param seed     seed of the orders
     * @throws IllegalArgumentException if {@code batch < 1}, or the data set lacks features or
     *                                  labels, or they differ in their number of rows
     */
    public InMemoryDataSetIterator(DataSet examples, int batch, long seed) {
        super(batch, -1, new RowFetcher(examples, new Random(seed)));
    }

    /**
     * Serves the examples in their order, every epoch.
     *
     * @param examples features {@code [count, inputs]} and labels {@code [count, classes]}
     * @param batch    examples per minibatch; the last one may be smaller
     * @throws IllegalArgumentException as {@link #InMemoryDataSetIterator(DataSet, int, long)}
     */
    public InMemoryDataSetIterator(DataSet examples, int batch) {
        super(batch, -1, new RowFetcher(examples, null));
    }

    /**
     * {@code false}: the data is already in memory, so a prefetching thread (which {@code fit} and
     * {@code evaluate} would start otherwise) has nothing to hide; as DL4J's
     * {@code ListDataSetIterator}.
     */
    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Pulls the rows of each minibatch, in an order that {@link #reset()} reshuffles if there is a shuffler. */
    private static final class RowFetcher extends BaseDataFetcher {

        private final INDArray features;
        private final INDArray labels;
        private final int[] order;
        /** {@code null}: the data set's own order. */
        private final Random shuffler;

        RowFetcher(DataSet examples, Random shuffler) {
            features = examples.getFeatures();
            labels = examples.getLabels();
            if (features == null || labels == null || features.rank() != 2 || labels.rank() != 2
                    || features.size(0) != labels.size(0)) {
                throw new IllegalArgumentException("expected features [count, inputs] and labels [count, classes], got "
                        + shape(features) + " and " + shape(labels));
            }
            totalExamples = Math.toIntExact(features.size(0));
            inputColumns = Math.toIntExact(features.size(1));
            numOutcomes = Math.toIntExact(labels.size(1));
            order = IntStream.range(0, totalExamples).toArray();
            this.shuffler = shuffler;
            shuffle();
        }

        @Override
        public void fetch(int numExamples) {
            if (!hasMore()) {
                throw new NoSuchElementException("all " + totalExamples + " examples of this epoch are served;"
                        + " reset() starts the next epoch");
            }
            int[] rows = Arrays.copyOfRange(order, cursor, Math.min(totalExamples, cursor + numExamples));
            curr = new DataSet(Nd4j.pullRows(features, 1, rows), Nd4j.pullRows(labels, 1, rows));
            cursor += rows.length;
        }

        @Override
        public void reset() {
            super.reset();
            shuffle();
        }

        private void shuffle() {
            if (shuffler != null) {
                MathUtils.shuffleArray(order, shuffler);
            }
        }

        private static String shape(INDArray array) {
            return array == null ? "none" : Arrays.toString(array.shape());
        }
    }
}
