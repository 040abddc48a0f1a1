package io.github.dl4jtorch.samples.spark;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * The tests' one Spark context (Spark allows one per JVM), started by the first test that needs it and stopped
 * by Spark's own shutdown hook when the test JVM exits.
 */
final class TestSpark {

    private static JavaSparkContext context;

    private TestSpark() {
    }

    /** The sample's local context ({@link LocalSpark}, {@code local[2]}, Kryo with ND4J's registrator). */
    static synchronized JavaSparkContext context() {
        if (context == null) {
            context = LocalSpark.start("dl4j-torch-dropout Spark tests", SparkMnist.WORKERS);
        }
        return context;
    }
}
