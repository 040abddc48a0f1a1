package io.github.dl4jtorch.benchmarks;

import io.github.dl4jtorch.dropout.Dropout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * End to end: milliseconds per training iteration ({@code net.fit(DataSet)} on one batch) of the samples' MLP,
 * {@code Dense(784 -> 256) -> dropout -> ReLU -> Dense(256 -> 10)} with softmax and cross-entropy, Adam (samples'
 * {@code MnistNetworks.Model.NET}), in three versions: with our {@link Dropout}, without dropout, and with DL4J's
 * {@link DropoutLayer}. Random data of MNIST's shape: speed, not accuracy.
 *
 * <p>Paired rounds: every round times each version for the same number of iterations, one after the other, in an
 * order that rotates from round to round, so that drifts of a shared machine fall on all three alike. Printed: the
 * median time per iteration of each version over the rounds, and its overhead over no dropout as the median (and
 * quartiles) of the paired per-round differences.
 *
 * <p>Args (all optional): {@code --rounds N} [200], {@code --warmup-rounds N} [20], {@code --iterations N} per version
 * and round [10], {@code --batch B} [64], {@code --hidden H} [256], {@code --p P} [0.2, the samples' default].
 *
 * <p>Example: {@code java -cp benchmarks/target/benchmarks.jar io.github.dl4jtorch.benchmarks.MlpTrainingRounds}
 */
public final class MlpTrainingRounds {

    private static final int INPUTS = 784;
    private static final int CLASSES = 10;

    private MlpTrainingRounds() {
    }

    public static void main(String[] args) {
        Map<String, Double> options = new LinkedHashMap<>(Map.of("rounds", 200.0, "warmup-rounds", 20.0,
                "iterations", 10.0, "batch", 64.0, "hidden", 256.0, "p", 0.2));
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i].replaceFirst("^--", "");
            if (!options.containsKey(name) || i + 1 == args.length) {
                throw new IllegalArgumentException("unknown option or missing value: " + args[i] + "; options: --"
                        + String.join(" N, --", options.keySet()) + " N");
            }
            options.put(name, Double.parseDouble(args[i + 1]));
        }
        int hidden = options.get("hidden").intValue();
        double p = options.get("p");
        Map<String, MultiLayerNetwork> networks = new LinkedHashMap<>();
        networks.put("no dropout", mlp(hidden, null));
        networks.put("ours: Dropout(" + p + ")", mlp(hidden, new Dropout(p)));
        networks.put("DL4J: DropoutLayer(" + (1 - p) + " retained)", mlp(hidden, new DropoutLayer(1 - p)));

        DataSet batch = randomBatch(options.get("batch").intValue());
        int iterations = options.get("iterations").intValue();
        int rounds = options.get("rounds").intValue();
        int warmupRounds = options.get("warmup-rounds").intValue();
        double[][] msPerIteration = pairedRounds(networks.values().toArray(MultiLayerNetwork[]::new), batch,
                warmupRounds, rounds, iterations);

        System.out.printf(Locale.ROOT, "MLP 784-%d-10, batch %d, Adam, float32; %s %s, ND4J threads %d; %d rounds (after %d"
                        + " warm-up ones) of %d iterations per network%n%n", hidden, batch.numExamples(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Nd4j.getEnvironment().maxThreads(), rounds, warmupRounds, iterations);
        System.out.println("| network | ms per iteration (median) | overhead vs no dropout: median [quartiles] of paired differences |");
        System.out.println("|---|---|---|");
        String[] names = networks.keySet().toArray(String[]::new);
        for (int n = 0; n < names.length; n++) {
            int network = n;
            double[] difference = perRound(rounds, r -> msPerIteration[network][r] - msPerIteration[0][r]);
            double[] relative = perRound(rounds, r -> msPerIteration[network][r] / msPerIteration[0][r] - 1);
            System.out.printf(Locale.ROOT, "| %s | %.3f | %s |%n", names[n], quantile(msPerIteration[n], 0.5),
                    n == 0 ? "" : String.format(Locale.ROOT, "%+.3f ms [%+.3f, %+.3f] (%+.1f%%)", quantile(difference, 0.5),
                            quantile(difference, 0.25), quantile(difference, 0.75), 100 * quantile(relative, 0.5)));
        }
    }

    /**
     * Times {@code iterations} calls of {@code fit} per network and round, the networks' order rotating each round;
     * returns ms per iteration, [network][round], of the rounds after the warm-up ones.
     */
    static double[][] pairedRounds(MultiLayerNetwork[] networks, DataSet batch, int warmupRounds, int rounds,
                                   int iterations) {
        double[][] ms = new double[networks.length][rounds];
        for (int round = -warmupRounds; round < rounds; round++) {
            for (int k = 0; k < networks.length; k++) {
                int network = Math.floorMod(round + k, networks.length);
                long start = System.nanoTime();
                for (int i = 0; i < iterations; i++) {
                    networks[network].fit(batch);
                }
                if (round >= 0) {
                    ms[network][round] = (System.nanoTime() - start) / 1e6 / iterations;
                }
            }
        }
        return ms;
    }

    /**
     * The samples' {@code net}: Dense(784 -> hidden, identity) -> {@code dropout} -> ReLU -> Dense(hidden -> 10,
     * softmax) with cross-entropy; no dropout layer where {@code dropout} is {@code null}.
     */
    static MultiLayerNetwork mlp(int hidden, Layer dropout) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(1)
                .dataType(DataType.FLOAT)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.UNIFORM)
                .list()
                .layer(new DenseLayer.Builder().nOut(hidden).activation(Activation.IDENTITY).build());
        if (dropout != null) {
            layers.layer(dropout);
        }
        MultiLayerNetwork network = new MultiLayerNetwork(layers
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(CLASSES).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.feedForward(INPUTS))
                .build());
        network.init();
        return network;
    }

    /** Uniform features in [0, 1) and one-hot labels of random classes. */
    private static DataSet randomBatch(int examples) {
        Nd4j.getRandom().setSeed(1);
        INDArray features = Nd4j.rand(DataType.FLOAT, examples, INPUTS);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, examples, CLASSES);
        for (int e = 0; e < examples; e++) {
            labels.putScalar(e, Nd4j.getRandom().nextInt(CLASSES), 1);
        }
        return new DataSet(features, labels);
    }

    private static double[] perRound(int rounds, IntToDoubleFunction value) {
        double[] values = new double[rounds];
        Arrays.setAll(values, value);
        return values;
    }

    /** The {@code q} quantile, interpolated between order statistics. */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
