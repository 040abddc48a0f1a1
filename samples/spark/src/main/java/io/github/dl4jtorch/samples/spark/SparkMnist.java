package io.github.dl4jtorch.samples.spark;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

import io.github.dl4jtorch.samples.MnistNetworks;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import io.github.dl4jtorch.samples.data.MnistData;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;

/**
 * The samples' MNIST networks with this project's dropout layers, trained with Deeplearning4j on Apache Spark
 * ({@code local[2]}: two workers in this JVM), then the same networks for the same epochs on one machine.
 *
 * <p>Two networks: the PyTorch docs' {@code net} (Dense(784->256) -> {@code Dropout(0.2)} -> ReLU ->
 * Dense(256->10), from {@link MnistNetworks}), and {@link MnistConvNetwork}, a convolutional network on NHWC
 * images with {@code Dropout2d(0.5)}. Both train on the 7,996 embedded training digits and are evaluated on
 * the 2,004 test digits, on Spark with {@code sparkNet.evaluate(rdd)}.
 *
 * <p>Spark's work is split by DL4J's {@link ParameterAveragingTrainingMaster}: each worker fits its own copy
 * of the network on its share of the minibatches, and every few minibatches the copies' parameters (and Adam's
 * state) are averaged into one network that is sent out again.
 */
public final class SparkMnist {

    /** Spark workers: executor threads of the {@code local[N]} master. */
    static final int WORKERS = 2;
    /** Examples per minibatch, in the RDD and in each worker's fit. */
    static final int BATCH = 32;
    /** Minibatches each worker fits between two averagings of the parameters: the master builder's default. */
    static final int AVERAGING_FREQUENCY = 5;
    /** Passes over the training digits, on Spark and on one machine. */
    static final int EPOCHS = 3;
    /** Adam's learning rate, as in the samples. */
    static final double LEARNING_RATE = 1e-3;
    /** Seed of the initial weights, the shuffle of the digits and the master's split of the minibatches. */
    static final long SEED = 1;
    /** 8 minibatches of 32 MNIST images (100 KB each) make a partition of about 800 KB. */
    static final int MINIBATCHES_PER_PARTITION = 8;

    private SparkMnist() {
    }

    /**
     * Entry point; takes no arguments (the settings are the constants above).
     *
     * @throws IOException if the embedded digits cannot be read
     */
    public static void main(String[] args) throws IOException {
        MnistData data = MnistData.embedded();
        int classes = data.classes();
        // The embedded training digits are stored digit by digit: shuffled once, every minibatch mixes them.
        DataSet train = shuffled(data.train().dataSet(classes), SEED);
        DataSet test = data.test().dataSet(classes);
        System.out.println("Data: " + data.describe());
        System.out.printf(Locale.ROOT, "Settings: Spark local[%d], ParameterAveragingTrainingMaster (batch %d per"
                        + " worker, averaging every %d minibatches), %d epochs, Adam lr %s, seed %d%n",
                WORKERS, BATCH, AVERAGING_FREQUENCY, EPOCHS, LEARNING_RATE, SEED);

        MultiLayerNetwork net = MnistNetworks.build(Model.NET, data.train().pixelsPerImage(), 256, classes,
                Model.NET.defaultP(), LEARNING_RATE, SEED);
        MultiLayerNetwork conv = new MultiLayerNetwork(MnistConvNetwork.configuration(classes, 0.5, 0.5,
                LEARNING_RATE, SEED));
        conv.init();

        try (JavaSparkContext sc = LocalSpark.start("dl4j-torch-dropout MNIST", WORKERS)) {
            compare("net", MnistNetworks.describe(net.getLayerWiseConfigurations()), net, train, test,
                    UnaryOperator.identity(), sc);
            compare("conv", MnistConvNetwork.describe(conv.getLayerWiseConfigurations()), conv, train, test,
                    MnistConvNetwork::nhwc, sc);
        }
    }

    /** Trains {@code network} on Spark and a copy of it on this machine, and prints both accuracies. */
    private static void compare(String name, String description, MultiLayerNetwork network, DataSet train,
                                DataSet test, UnaryOperator<DataSet> layout, JavaSparkContext sc) {
        System.out.println();
        System.out.println("Network " + name + ": " + description);
        List<DataSet> trainBatches = layout.apply(train).batchBy(BATCH);
        List<DataSet> testBatches = layout.apply(test).batchBy(BATCH);
        MultiLayerNetwork alone = network.clone();          // same initial parameters

        long start = System.nanoTime();
        Evaluation onSpark = fitOnSpark(sc, network, trainBatches, testBatches, EPOCHS, (epoch, evaluation) ->
                System.out.printf(Locale.ROOT, "[%s on Spark] epoch %d/%d  test acc %6.2f%%  elapsed %.1fs%n",
                        name, epoch, EPOCHS, 100 * evaluation.accuracy(), seconds(start)));
        double sparkSeconds = seconds(start);

        long aloneStart = System.nanoTime();
        Evaluation onOneMachine = fitOnOneMachine(alone, trainBatches, testBatches, EPOCHS);
        double aloneSeconds = seconds(aloneStart);
        System.out.printf(Locale.ROOT, "[%s on one machine] %d epochs  test acc %6.2f%%  elapsed %.1fs%n",
                name, EPOCHS, 100 * onOneMachine.accuracy(), aloneSeconds);
        System.out.printf(Locale.ROOT, "%s after %d epochs: Spark %.2f%% (%.1fs), one machine %.2f%% (%.1fs)%n",
                name, EPOCHS, 100 * onSpark.accuracy(), sparkSeconds, 100 * onOneMachine.accuracy(), aloneSeconds);
    }

    /** Receives the evaluation on the test minibatches after each epoch on Spark. */
    @FunctionalInterface
    interface EpochReport {
        void after(int epoch, Evaluation test);
    }

    /**
     * Trains {@code network} on Spark with {@link #trainingMaster}, one {@code sparkNet.fit(rdd)} per epoch, and
     * evaluates it on Spark after each.
     *
     * @return the evaluation after the last epoch; {@code network} holds the trained parameters
     */
    static Evaluation fitOnSpark(JavaSparkContext sc, MultiLayerNetwork network, List<DataSet> trainBatches,
                                 List<DataSet> testBatches, int epochs, EpochReport report) {
        ParameterAveragingTrainingMaster master = trainingMaster(SEED);
        SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(sc, network, master);
        JavaRDD<DataSet> trainRdd = rdd(sc, trainBatches);
        JavaRDD<DataSet> testRdd = rdd(sc, testBatches);
        Evaluation evaluation = null;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            sparkNet.fit(trainRdd);
            evaluation = sparkNet.evaluate(testRdd);
            report.after(epoch, evaluation);
        }
        master.deleteTempFiles(sc);                          // the training data it exported under hadoop.tmp.dir
        return evaluation;
    }

    /** Trains {@code network} here on the same minibatches, in the same order every epoch, and evaluates it. */
    static Evaluation fitOnOneMachine(MultiLayerNetwork network, List<DataSet> trainBatches,
                                      List<DataSet> testBatches, int epochs) {
        network.fit(new ExistingDataSetIterator(trainBatches), epochs);
        return network.evaluate(new ExistingDataSetIterator(testBatches));
    }

    /**
     * The minibatches as an RDD, in partitions of {@link #MINIBATCHES_PER_PARTITION}: a partition made on the
     * driver travels inside its task, and Spark warns about tasks over 1000 KiB.
     */
    static JavaRDD<DataSet> rdd(JavaSparkContext sc, List<DataSet> minibatches) {
        int partitions = (minibatches.size() + MINIBATCHES_PER_PARTITION - 1) / MINIBATCHES_PER_PARTITION;
        return sc.parallelize(minibatches, Math.max(WORKERS, partitions));
    }

    /**
     * DL4J's parameter-averaging master, for an RDD of {@link #BATCH}-example minibatches. The number of workers
     * is Spark's default parallelism (the N of {@code local[N]}).
     */
    static ParameterAveragingTrainingMaster trainingMaster(long seed) {
        return new ParameterAveragingTrainingMaster.Builder(BATCH)  // examples per DataSet of the RDD
                .batchSizePerWorker(BATCH)
                .averagingFrequency(AVERAGING_FREQUENCY)
                .workerPrefetchNumBatches(2)                         // a thread prepares the next minibatches
                .rngSeed(seed)                                       // how minibatches are split among workers
                .build();
    }

    /** The examples in a random order fixed by {@code seed} (the argument is left as it was). */
    static DataSet shuffled(DataSet examples, long seed) {
        DataSet copy = examples.copy();
        copy.shuffle(seed);
        return copy;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
