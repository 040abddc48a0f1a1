package io.github.dl4jtorch.samples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The iterator on a data set whose example {@code i} has features {@code (i, -i)} and label
 * {@code i % 3}, so every served row tells which example it is.
 *
 * <p>Two orders of 100 examples drawn independently are equal with probability 1/100! (below
 * 1e-157): the tests that expect different orders cannot fail by chance.
 */
class InMemoryDataSetIteratorTest {

    private static final int COUNT = 100;
    private static final int CLASSES = 3;
    /** Does not divide {@link #COUNT}: every epoch ends with a smaller minibatch of 4. */
    private static final int BATCH = 16;

    @Test
    void shuffledServesEveryExampleOncePerEpochInANewOrder() {
        DataSetIterator iterator = new InMemoryDataSetIterator(examples(), BATCH, 7);
        List<List<Integer>> orders = epochs(iterator, 3);
        for (List<Integer> order : orders) {
            assertEquals(allExamples(), order.stream().sorted().collect(Collectors.toList()), "each example once");
        }
        assertNotEquals(allExamples(), orders.get(0), "the first epoch is shuffled too");
        assertNotEquals(orders.get(0), orders.get(1));
        assertNotEquals(orders.get(1), orders.get(2));
    }

    @Test
    void sameSeedSameOrdersOtherSeedOtherOrders() {
        List<List<Integer>> a = epochs(new InMemoryDataSetIterator(examples(), BATCH, 7), 3);
        List<List<Integer>> b = epochs(new InMemoryDataSetIterator(examples(), BATCH, 7), 3);
        List<List<Integer>> c = epochs(new InMemoryDataSetIterator(examples(), BATCH, 8), 3);
        assertEquals(a, b);
        assertNotEquals(a.get(0), c.get(0));
    }

    @Test
    void unshuffledServesTheDataSetOrderEveryEpoch() {
        List<List<Integer>> orders = epochs(new InMemoryDataSetIterator(examples(), BATCH), 2);
        assertEquals(List.of(allExamples(), allExamples()), orders);
    }

    @Test
    void minibatchesHaveTheBatchSizeButTheLast() {
        DataSetIterator iterator = new InMemoryDataSetIterator(examples(), BATCH, 7);
        List<Integer> sizes = new ArrayList<>();
        while (iterator.hasNext()) {
            sizes.add(iterator.next().numExamples());
        }
        assertEquals(List.of(16, 16, 16, 16, 16, 16, 4), sizes);
        assertEquals(2, iterator.inputColumns());
        assertEquals(CLASSES, iterator.totalOutcomes());
        assertThrows(NoSuchElementException.class, iterator::next);
    }

    /** {@code fit(iterator, epochs)} resets the iterator between epochs: it trains on the orders the iterator draws. */
    @Test
    void fitTrainsOnANewOrderEveryEpoch() {
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(new Sgd(0.1))
                .list()
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(2).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .build());
        network.init();
        List<Integer> seen = new ArrayList<>();
        network.setListeners(new BaseTrainingListener() {
            @Override
            public void iterationDone(Model model, int iteration, int epoch) {
                seen.addAll(ids(((MultiLayerNetwork) model).getInput()));
            }
        });
        network.fit(new InMemoryDataSetIterator(examples(), BATCH, 7), 3);

        List<Integer> expected = epochs(new InMemoryDataSetIterator(examples(), BATCH, 7), 3).stream()
                .flatMap(List::stream).collect(Collectors.toList());
        assertEquals(expected, seen);
    }

    @Test
    void rejectsBadInput() {
        INDArray features = Nd4j.zeros(DataType.FLOAT, 10, 2);
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> new InMemoryDataSetIterator(new DataSet(features, Nd4j.zeros(DataType.FLOAT, 9, 3)), 4));
        assertTrue(rows.getMessage().contains("[10, 2] and [9, 3]"), rows.getMessage());
        IllegalArgumentException noLabels = assertThrows(IllegalArgumentException.class,
                () -> new InMemoryDataSetIterator(new DataSet(features, null), 4, 1));
        assertTrue(noLabels.getMessage().contains("[10, 2] and none"), noLabels.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new InMemoryDataSetIterator(examples(), 0, 1));
    }

    /** Example {@code i}: features {@code (i, -i)}, label {@code i % 3} one-hot. */
    private static DataSet examples() {
        INDArray features = Nd4j.zeros(DataType.FLOAT, COUNT, 2);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, COUNT, CLASSES);
        for (int i = 0; i < COUNT; i++) {
            features.putScalar(i, 0, i);
            features.putScalar(i, 1, -i);
            labels.putScalar(i, i % CLASSES, 1);
        }
        return new DataSet(features, labels);
    }

    /** The example ids served in each of {@code epochs} epochs, resetting between them as {@code fit} does. */
    private static List<List<Integer>> epochs(DataSetIterator iterator, int epochs) {
        List<List<Integer>> orders = new ArrayList<>();
        for (int epoch = 0; epoch < epochs; epoch++) {
            if (!iterator.hasNext()) {
                iterator.reset();
            }
            List<Integer> order = new ArrayList<>();
            while (iterator.hasNext()) {
                DataSet batch = iterator.next();
                List<Integer> ids = ids(batch.getFeatures());
                for (int row = 0; row < ids.size(); row++) {
                    assertEquals(ids.get(row) % CLASSES, batch.getLabels().getRow(row).argMax().getInt(0),
                            "labels travel with their features");
                    assertEquals(-ids.get(row), batch.getFeatures().getInt(row, 1));
                }
                order.addAll(ids);
            }
            assertFalse(order.isEmpty());
            orders.add(order);
        }
        return orders;
    }

    private static List<Integer> ids(INDArray features) {
        return IntStream.range(0, Math.toIntExact(features.size(0))).mapToObj(row -> features.getInt(row, 0))
                .collect(Collectors.toList());
    }

    private static List<Integer> allExamples() {
        return IntStream.range(0, COUNT).boxed().collect(Collectors.toList());
    }
}
