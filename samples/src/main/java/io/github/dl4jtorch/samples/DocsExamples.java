package io.github.dl4jtorch.samples;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.Dropout2d;
import io.github.dl4jtorch.dropout.Functional;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The small examples of the PyTorch dropout docs, ported to Deeplearning4j with this project's layers
 * and {@link Functional}, printing what the docs print.
 *
 * <p>PyTorch switches a module between training and evaluation with {@code train()} and
 * {@code eval()}; in Deeplearning4j the mode is chosen per call: {@code network.output(x, true)}
 * runs the network as in training (dropout active), {@code network.output(x, false)} as in
 * evaluation (dropout is the identity). The random draws depend on the seed, so the zeroed positions
 * differ from the docs' printouts, as they do between two PyTorch runs.
 */
public final class DocsExamples {

    /** Seed of ND4J's generator, which draws the dropout masks: the printout is repeatable. */
    private static final long SEED = 42;

    private final PrintStream out;

    DocsExamples(PrintStream out) {
        this.out = out;
    }

    /**
     * Runs all examples.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        new DocsExamples(System.out).runAll();
    }

    void runAll() {
        Nd4j.getRandom().setSeed(SEED);
        scalingOfKeptElements();
        basicUsage();
        trainingVersusEvaluation();
        dropoutNetShapes();
        dropout2dZeroesWholeChannels();
        effectOfDropoutRate();
    }

    /** nn.Dropout(p=0.5) on randn(3, 5): zeros, and the kept values divided by 1 - p. */
    void scalingOfKeptElements() {
        heading("Dropout on a random tensor: zeros, and the rest scaled by 1/(1-p)");
        INDArray inputs = Nd4j.randn(DataType.FLOAT, 3, 5);
        INDArray outputs = Functional.dropout(inputs, 0.5, true, false);
        out.println("Input Tensor:");
        out.println(matrix(inputs, "%.4f"));
        out.println();
        out.println("Output Tensor with Dropout Applied:");
        out.println(matrix(outputs, "%.4f"));
        int zeros = 0;
        for (int i = 0; i < inputs.length(); i++) {
            zeros += outputs.getDouble(i) == 0 ? 1 : 0;
        }
        double keptRatio = 0;
        for (int i = 0; i < inputs.length(); i++) {
            if (outputs.getDouble(i) != 0) {
                keptRatio = outputs.getDouble(i) / inputs.getDouble(i);
                break;
            }
        }
        out.printf(Locale.ROOT, "%d of %d elements zeroed; kept elements multiplied by %.4f = 1/(1-0.5)%n",
                zeros, inputs.length(), keptRatio);
    }

    /** Example 1: nn.Dropout(p=0.5) in training mode, three calls on ones(1, 10). */
    void basicUsage() {
        heading("Example 1: Basic usage");
        MultiLayerNetwork dropout = oneLayer(new Dropout(0.5), InputType.feedForward(10));
        INDArray input = Nd4j.ones(DataType.FLOAT, 1, 10);
        out.println("Input: " + list(input));
        for (int i = 1; i <= 3; i++) {
            INDArray output = dropout.output(input, true); // training mode: a new mask every call
            out.println("Output " + i + ": " + list(output));
        }
    }

    /** Example 2: the fraction of non-zero activations in training and in evaluation mode. */
    void trainingVersusEvaluation() {
        heading("Example 2: Training vs evaluation mode");
        MultiLayerNetwork dropout = oneLayer(new Dropout(0.5), InputType.feedForward(10));
        INDArray trainOutput = dropout.output(Nd4j.ones(DataType.FLOAT, 4, 10), true);
        out.println("Training mode - Activation ratio: " + nonZeroFraction(trainOutput));
        INDArray evalOutput = dropout.output(Nd4j.ones(DataType.FLOAT, 4, 10), false);
        out.println("Evaluation mode - Activation ratio: " + nonZeroFraction(evalOutput));
        out.println("Evaluation mode output: " + matrix(evalOutput, "%.1f").replace("\n", ""));
    }

    /** Example 3: the docs' DropoutNet (784-256-256-10) on randn(32, 784) in both modes. */
    void dropoutNetShapes() {
        heading("Example 3: Using Dropout in a neural network (DropoutNet)");
        MultiLayerNetwork model = MnistNetworks.build(Model.DROPOUTNET, 784, 256, 10, 0.5, 1e-3, SEED);
        out.println(MnistNetworks.describe(model.getLayerWiseConfigurations()));
        INDArray inputData = Nd4j.randn(DataType.FLOAT, 32, 784);
        out.println("Training mode output shape: " + Arrays.toString(model.output(inputData, true).shape()));
        out.println("Evaluation mode output shape: " + Arrays.toString(model.output(inputData, false).shape()));
    }

    /** Example 4: nn.Dropout2d(p=0.5) zeroes whole channels of ones(1, 4, 4, 4). */
    void dropout2dZeroesWholeChannels() {
        heading("Example 4: Dropout2d in CNNs drops entire channels");
        // Height 4, width 4, 4 channels; DL4J's default layout is NCHW, channels first like PyTorch.
        MultiLayerNetwork dropout2d = oneLayer(new Dropout2d(0.5), InputType.convolutional(4, 4, 4));
        INDArray output = dropout2d.output(Nd4j.ones(DataType.FLOAT, 1, 4, 4, 4), true);
        out.println("Dropout2d output shape: " + Arrays.toString(output.shape()));
        INDArray channelSums = output.sum(2, 3);
        int nonZeroChannels = 0;
        for (int c = 0; c < channelSums.length(); c++) {
            nonZeroChannels += channelSums.getDouble(c) != 0 ? 1 : 0;
        }
        out.println("Number of non-zero channels: " + nonZeroChannels);
        out.println("Per channel, every value is equal (all 0 or all 2): " + channelsAreUniform(output));
    }

    /** Example 5: average fraction kept over 100 calls on ones(1000), for several p. */
    void effectOfDropoutRate() {
        heading("Example 5: Effect of different dropout rates");
        INDArray input = Nd4j.ones(DataType.FLOAT, 1000);
        for (double p : new double[] {0.1, 0.3, 0.5, 0.7}) {
            double totalActive = 0;
            for (int run = 0; run < 100; run++) {
                INDArray output = Functional.dropout(input, p, true, false);
                totalActive += output.neq(0).castTo(DataType.FLOAT).sumNumber().doubleValue();
            }
            double averageActive = totalActive / 100 / 1000;
            out.printf(Locale.ROOT, "p=%s - Average activation ratio: %.2f%% (Expected: %.2f%%)%n",
                    p, 100 * averageActive, 100 * (1 - p));
        }
    }

    /** A network holding just {@code layer}, like a lone PyTorch module. */
    private static MultiLayerNetwork oneLayer(Layer layer, InputType inputType) {
        MultiLayerNetwork network = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(SEED)
                .dataType(DataType.FLOAT)
                .list()
                .layer(layer)
                .setInputType(inputType)
                .build());
        network.init();
        return network;
    }

    private static double nonZeroFraction(INDArray array) {
        return array.neq(0).castTo(DataType.FLOAT).meanNumber().doubleValue();
    }

    private static boolean channelsAreUniform(INDArray nchw) {
        INDArray max = nchw.max(2, 3);
        INDArray min = nchw.min(2, 3);
        return max.equals(min);
    }

    private void heading(String title) {
        out.println();
        out.println("=== " + title + " ===");
    }

    /** Python's {@code tensor.squeeze().tolist()} look: {@code [2.0, 0.0, ...]}. */
    private static String list(INDArray array) {
        return Arrays.toString(array.dup().reshape(array.length()).toFloatVector());
    }

    /** A 2-D array as nested lists, one row per line. */
    private static String matrix(INDArray array, String format) {
        return IntStream.range(0, (int) array.rows())
                .mapToObj(r -> IntStream.range(0, (int) array.columns())
                        .mapToObj(c -> String.format(Locale.ROOT, format, array.getDouble(r, c)))
                        .collect(Collectors.joining(", ", "[", "]")))
                .collect(Collectors.joining(",\n ", "[", "]"));
    }
}
