package io.github.dl4jtorch.samples.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.Dropout2d;
import io.github.dl4jtorch.samples.MnistNetworks;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import io.github.dl4jtorch.samples.data.MnistData;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.ExistingDataSetIterator;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Networks with this library's layers learn on Spark ({@code local[2]}, DL4J's parameter averaging): after a
 * short run, test accuracy is far above chance (10%), on Spark as on one machine. Each test prints both
 * accuracies for the same epochs, from the same initial parameters and on the same minibatches.
 *
 * <p>Short runs, for CI: 2,000 of the embedded training digits (shuffled with a fixed seed), 3 epochs,
 * evaluated on the 2,004 test digits. Spark lags one machine after so few epochs (about 5 points for the dense
 * network, 14 for the convolutional one, measured): two workers that average their copies make about half as
 * many updates per epoch, each from two minibatches. The threshold leaves room for what the seeds do not fix:
 * which worker gets which minibatches in which thread (the masks depend on the drawing thread), and the order of
 * floating-point sums when parameters are averaged.
 */
class SparkTrainingTest {

    private static final int EXAMPLES = 2000;
    private static final int EPOCHS = 3;
    private static final long SEED = 1;
    /** Five times chance; these short runs reach about 84% (dense) and 75% (convolutional) on Spark. */
    private static final double FAR_ABOVE_CHANCE = 0.5;

    private static List<DataSet> trainBatches;
    private static List<DataSet> testBatches;

    @BeforeAll
    static void data() throws IOException {
        MnistData data = MnistData.embedded();
        DataSet train = SparkMnist.shuffled(data.train().dataSet(data.classes()), SEED);
        trainBatches = ((DataSet) train.getRange(0, EXAMPLES)).batchBy(SparkMnist.BATCH);
        testBatches = data.test().dataSet(data.classes()).batchBy(SparkMnist.BATCH);
    }

    @Test
    void multiLayerNetworkWithDropoutLearnsOnSpark() {
        MultiLayerNetwork network = MnistNetworks.build(Model.NET, 784, 256, 10, 0.2, SparkMnist.LEARNING_RATE, SEED);
        MultiLayerNetwork alone = network.clone();
        INDArray initial = network.params().dup();
        Dropout dropout = (Dropout) network.getLayerWiseConfigurations().getConf(1).getLayer().clone();

        long start = System.nanoTime();
        Evaluation onSpark = SparkMnist.fitOnSpark(TestSpark.context(), network, trainBatches, testBatches, EPOCHS,
                (epoch, evaluation) -> { });
        double sparkSeconds = seconds(start);
        start = System.nanoTime();
        Evaluation onOneMachine = SparkMnist.fitOnOneMachine(alone, trainBatches, testBatches, EPOCHS);
        report("MultiLayerNetwork net p=0.2", onSpark, sparkSeconds, onOneMachine, seconds(start));

        assertNotEquals(initial, network.params(), "Spark's training did not reach the network passed to it");
        assertLearnt(onSpark, onOneMachine);
        assertEquals(dropout, network.getLayerWiseConfigurations().getConf(1).getLayer());
    }

    @Test
    void computationGraphWithChannelsLastDropout2dLearnsOnSpark() {
        MultiLayerNetwork conv = new MultiLayerNetwork(MnistConvNetwork.configuration(10, 0.5, 0.5,
                SparkMnist.LEARNING_RATE, SEED));
        conv.init();
        ComputationGraph graph = conv.toComputationGraph();
        ComputationGraph alone = graph.clone();
        String dropout2dVertex = "4";                       // toComputationGraph names vertices by layer index
        Dropout2d dropout2d = (Dropout2d) layer(graph, dropout2dVertex);
        assertEquals(CNN2DFormat.NHWC, dropout2d.getDataFormat(), "the format comes from the input type");
        List<DataSet> train = trainBatches.stream().map(MnistConvNetwork::nhwc).toList();
        List<DataSet> test = testBatches.stream().map(MnistConvNetwork::nhwc).toList();

        long start = System.nanoTime();
        JavaSparkContext sc = TestSpark.context();
        ParameterAveragingTrainingMaster master = SparkMnist.trainingMaster(SEED);
        SparkComputationGraph sparkGraph = new SparkComputationGraph(sc, graph, master);
        JavaRDD<DataSet> trainRdd = SparkMnist.rdd(sc, train);
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
            sparkGraph.fit(trainRdd);
        }
        Evaluation onSpark = sparkGraph.evaluate(SparkMnist.rdd(sc, test));
        master.deleteTempFiles(sc);
        double sparkSeconds = seconds(start);
        start = System.nanoTime();
        alone.fit(new ExistingDataSetIterator(train), EPOCHS);
        Evaluation onOneMachine = alone.evaluate(new ExistingDataSetIterator(test));
        report("ComputationGraph conv NHWC", onSpark, sparkSeconds, onOneMachine, seconds(start));

        assertSame(graph, sparkGraph.getNetwork());
        assertLearnt(onSpark, onOneMachine);
        assertEquals(dropout2d, layer(sparkGraph.getNetwork(), dropout2dVertex));
    }

    private static org.deeplearning4j.nn.conf.layers.Layer layer(ComputationGraph graph, String vertex) {
        return ((LayerVertex) graph.getConfiguration().getVertices().get(vertex)).getLayerConf().getLayer();
    }

    private static void assertLearnt(Evaluation onSpark, Evaluation onOneMachine) {
        assertTrue(onSpark.accuracy() > FAR_ABOVE_CHANCE, "accuracy on Spark " + onSpark.accuracy());
        assertTrue(onOneMachine.accuracy() > FAR_ABOVE_CHANCE, "accuracy on one machine " + onOneMachine.accuracy());
    }

    private static void report(String what, Evaluation onSpark, double sparkSeconds, Evaluation onOneMachine,
                               double aloneSeconds) {
        System.out.printf(Locale.ROOT, "%s, %d examples x %d epochs: Spark local[%d] %.2f%% (%.1fs),"
                        + " one machine %.2f%% (%.1fs), %+.2f points on Spark%n", what, EXAMPLES, EPOCHS,
                SparkMnist.WORKERS, 100 * onSpark.accuracy(), sparkSeconds, 100 * onOneMachine.accuracy(), aloneSeconds,
                100 * (onSpark.accuracy() - onOneMachine.accuracy()));
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
