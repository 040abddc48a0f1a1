package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.github.dl4jtorch.samples.data.InMemoryDataSetIterator;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The listener on small networks trained with {@code fit(iterator, epochs)}, as {@link MnistMlp} trains. */
class ProgressListenerTest {

    private static final int CLASSES = 3;
    /** Divides neither set: every epoch and evaluation ends with a smaller minibatch. */
    private static final int BATCH = 16;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    /**
     * With a learning rate of 0 the parameters never change (DL4J's {@code NoOp} updater would still
     * apply the raw gradient), so every minibatch's loss is taken at the same parameters and the
     * epoch's size-weighted mean is the loss of the whole training set.
     */
    @Test
    void reportsEveryEpochWithTheMeanLossOfItsMinibatches() {
        DataSet train = examples(50, 1);
        TrainingRun run = train(new Sgd(0), train, examples(20, 2), 3);

        List<String> lines = printed.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(3, lines.size(), String.join("\n", lines));
        double wholeSetLoss = run.network().score(train, false);
        for (int epoch = 1; epoch <= 3; epoch++) {
            EpochMetrics metrics = run.epochs().get(epoch - 1);
            assertEquals(epoch, metrics.epoch());
            assertEquals(wholeSetLoss, metrics.trainLoss(), 1e-5, "epoch " + epoch);
            assertTrue(lines.get(epoch - 1).startsWith("[tiny p=0] epoch " + epoch + "/3  loss "), lines.get(epoch - 1));
        }
        assertTrue(lines.get(2).endsWith("ETA 0.0s"), lines.get(2));
    }

    /** The last epoch's accuracies are those of the trained network, counted by hand here. */
    @Test
    void accuracyIsThatOfTheTrainedNetworkWithDropoutOff() {
        DataSet train = examples(300, 3);
        DataSet test = examples(70, 4);
        TrainingRun run = train(new Sgd(0.5), train, test, 2);

        assertEquals(handCountedAccuracy(run.network(), train), run.last().trainAcc(), 1e-12);
        assertEquals(handCountedAccuracy(run.network(), test), run.last().testAcc(), 1e-12);
        assertTrue(run.last().testAcc() > 0.5, "learnable labels, chance is 1/3: " + run.last().testAcc());
    }

    private TrainingRun train(IUpdater updater, DataSet train, DataSet test, int epochs) {
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(5)
                .dataType(DataType.FLOAT)
                .updater(updater)
                .list()
                .layer(new DenseLayer.Builder().nIn(CLASSES).nOut(8).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(CLASSES))
                .build());
        network.init();
        TrainingRun run = new TrainingRun("tiny", 0, network);
        network.setListeners(new ProgressListener(run, epochs, new InMemoryDataSetIterator(train, BATCH),
                new InMemoryDataSetIterator(test, BATCH), new ProgressListener.Clock(epochs),
                new PrintStream(printed, true, StandardCharsets.UTF_8)));
        network.fit(new InMemoryDataSetIterator(train, BATCH, 9), epochs);
        return run;
    }

    /** Gaussian features; the label is the largest feature's index, so a network can learn it. */
    private static DataSet examples(int count, long seed) {
        INDArray features = Nd4j.getRandomFactory().getNewRandomInstance(seed).nextGaussian(new long[] {count, CLASSES})
                .castTo(DataType.FLOAT);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, count, CLASSES);
        for (int i = 0; i < count; i++) {
            labels.putScalar(i, features.getRow(i).argMax().getInt(0), 1);
        }
        return new DataSet(features, labels);
    }

    private static double handCountedAccuracy(MultiLayerNetwork network, DataSet examples) {
        INDArray predicted = network.output(examples.getFeatures(), false).argMax(1);
        INDArray actual = examples.getLabels().argMax(1);
        int correct = 0;
        for (int i = 0; i < examples.numExamples(); i++) {
            if (predicted.getInt(i) == actual.getInt(i)) {
                correct++;
            }
        }
        return correct / (double) examples.numExamples();
    }
}
