package io.github.dl4jtorch.samples.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.KryoSerializer;
import org.nd4j.kryo.Nd4jRegistrator;

/**
 * A Spark context in this JVM ({@code local[N]}: N executor threads, no cluster), set up as Deeplearning4j's
 * Spark guide and its own Spark tests set one up.
 *
 * <p>The JVM needs Spark's {@code --add-opens} options on JDK 17, and its {@code spark.local.dir} and
 * {@code spark.hadoop.hadoop.tmp.dir} are best given as system properties: this project's {@code pom.xml} sets
 * them for {@code exec:exec} and for the tests.
 *
 * <p>Example:
 * <pre>{@code
 * try (JavaSparkContext sc = LocalSpark.start("my job", 2)) {
 *     JavaRDD<DataSet> minibatches = sc.parallelize(trainingSet.batchBy(32));
 *     new SparkDl4jMultiLayer(sc, network, trainingMaster).fit(minibatches);
 * }
 * }</pre>
 */
public final class LocalSpark {

    private LocalSpark() {
    }

    /**
     * The configuration: {@code local[threads]}, Kryo with ND4J's registrator, no web UI.
     *
     * @param appName what Spark calls the application
     * @param threads executor threads, the number of workers that train at once
     */
    public static SparkConf conf(String appName, int threads) {
        return new SparkConf()
                .setMaster("local[" + threads + "]")
                .setAppName(appName)
                // The driver's address as executors reach it: in one JVM that is this machine, whatever its
                // host name resolves to (or fails to).
                .set("spark.driver.host", "localhost")
                .set("spark.ui.enabled", "false")
                // Kryo, as DL4J's Spark guide advises, needs ND4J's registrator: INDArrays keep their data
                // off-heap, where Kryo's default serialisers fail on them (DL4J checks this when training).
                .set("spark.serializer", KryoSerializer.class.getName())
                .set("spark.kryo.registrator", Nd4jRegistrator.class.getName());
    }

    /** Starts a context with {@link #conf}; closing it stops Spark. */
    public static JavaSparkContext start(String appName, int threads) {
        return new JavaSparkContext(conf(appName, threads));
    }
}
