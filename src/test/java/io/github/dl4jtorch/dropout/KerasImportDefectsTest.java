package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static io.github.dl4jtorch.dropout.StatisticalParityTest.DELTA;
import static io.github.dl4jtorch.dropout.StatisticalParityTest.bernstein;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.KerasModels.Fixture;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.dropout.AlphaDropout;
import org.deeplearning4j.nn.conf.dropout.Dropout;
import org.deeplearning4j.nn.conf.dropout.GaussianDropout;
import org.deeplearning4j.nn.conf.dropout.GaussianNoise;
import org.deeplearning4j.nn.conf.dropout.IDropout;
import org.deeplearning4j.nn.conf.dropout.SpatialDropout;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;

/**
 * What DL4J 1.0.0-M2.1's {@link KerasModelImport} builds from Keras models with dropout layers (the fixtures of
 * {@link KerasModels}), and the DL4J defects a converter to this library's layers has to know about.
 *
 * <p>Tests named {@code dl4jDefect_...} assert DL4J's current, wrong behaviour: they are meant to fail the day
 * DL4J fixes it. Statistical assertions use fixed seeds and state their false-failure probability.
 */
class KerasImportDefectsTest {

    private static final int MINIBATCH = 4;
    /** SELU's constants, as Keras and DL4J use them. */
    private static final double SELU_SCALE = 1.0507009873554805;
    private static final double SELU_ALPHA = 1.6732632423543772;

    // ----------------------------------------------------------------------------------------------------------
    // The import itself

    @ParameterizedTest
    @EnumSource(Fixture.class)
    void importedNetworkComputesTheKerasModel(Fixture fixture) {
        INDArray x = fixture.input(MINIBATCH, 7);
        INDArray first = evaluate(fixture, x);
        assertArrayEquals(kerasForward(fixture, rowMajorDouble(x)), rowMajorDouble(first), 1e-6,
                "DL4J's evaluation output against a plain-Java forward pass over the file's raw weights");
        assertArrayEquals(rowMajor(first), rowMajor(evaluate(fixture, x)), 0, "evaluation is deterministic");
    }

    /** One DL4J layer as the import leaves it: its class and its own IDropout with that IDropout's parameter. */
    private record Mapped(String name, Class<? extends Layer> layer, Class<? extends IDropout> dropout,
                          double parameter) {
        static Mapped plain(String name, Class<? extends Layer> layer) {
            // Keras layers without dropout get DL4J's Dropout with retain probability 1 (keep everything).
            return new Mapped(name, layer, Dropout.class, 1.0);
        }
    }

    private static final List<Mapped> CONV_LAYERS = List.of(
            Mapped.plain("conv2d", ConvolutionLayer.class),
            new Mapped("spatial_dropout2d", DropoutLayer.class, SpatialDropout.class, 0.5),
            Mapped.plain("dense", DenseLayer.class),
            new Mapped("dense_loss", LossLayer.class, null, Double.NaN));

    @ParameterizedTest
    @EnumSource(Fixture.class)
    void dl4jLayerAndDropoutClassesOfEachImport(Fixture fixture) {
        switch (fixture) {
            case CONV_SEQUENTIAL -> {
                MultiLayerConfiguration conf = KerasModels.sequential(fixture).getLayerWiseConfigurations();
                assertLayers(CONV_LAYERS, conf);
                assertEquals(CNN2DFormat.NHWC, ((ConvolutionLayer) conf.getConf(0).getLayer()).getCnn2dDataFormat());
                assertEquals(new CnnToFeedForwardPreProcessor(8, 8, 4, CNN2DFormat.NHWC), conf.getInputPreProcess(2),
                        "Keras's Flatten becomes a preprocessor on the dense layer (index 2)");
            }
            case CONV_FUNCTIONAL -> {
                ComputationGraphConfiguration conf = KerasModels.functional(fixture).getConfiguration();
                assertEquals(List.of("input_1"), conf.getNetworkInputs());
                assertEquals(List.of("dense_loss"), conf.getNetworkOutputs());
                for (Mapped expected : CONV_LAYERS) {
                    assertLayer(expected, ((LayerVertex) conf.getVertices().get(expected.name())).getLayerConf()
                            .getLayer());
                }
                Map<String, List<String>> inputs = conf.getVertexInputs();
                assertEquals(List.of("input_1"), inputs.get("conv2d"));
                assertEquals(List.of("conv2d"), inputs.get("spatial_dropout2d"));
                assertEquals(List.of("spatial_dropout2d"), inputs.get("flatten"));
                assertEquals(List.of("flatten"), inputs.get("dense"));
                assertEquals(new CnnToFeedForwardPreProcessor(8, 8, 4, CNN2DFormat.NHWC),
                        ((PreprocessorVertex) conf.getVertices().get("flatten")).getPreProcessor());
            }
            case MLP_DROPOUT_ALPHA -> assertLayers(List.of(
                    Mapped.plain("dense", DenseLayer.class),
                    // Keras rate 0.3: DL4J keeps everything, see dl4jDefect_kerasDropoutRateIsLost.
                    new Mapped("dropout", DropoutLayer.class, Dropout.class, 1.0),
                    Mapped.plain("dense_1", DenseLayer.class),
                    new Mapped("alpha_dropout", DropoutLayer.class, AlphaDropout.class, 0.8),
                    Mapped.plain("dense_2", DenseLayer.class),
                    new Mapped("dense_2_loss", LossLayer.class, null, Double.NaN)),
                    KerasModels.sequential(fixture).getLayerWiseConfigurations());
            case MLP_GAUSSIAN -> assertLayers(List.of(
                    Mapped.plain("dense", DenseLayer.class),
                    // Keras rate 0.2 arrives as DL4J rate 0.8, see dl4jDefect_gaussianDropoutRateIsInverted.
                    new Mapped("gaussian_dropout", DropoutLayer.class, GaussianDropout.class, 0.8),
                    Mapped.plain("dense_1", DenseLayer.class),
                    new Mapped("gaussian_noise", DropoutLayer.class, GaussianNoise.class, 0.1),
                    Mapped.plain("dense_2", DenseLayer.class),
                    new Mapped("dense_2_loss", LossLayer.class, null, Double.NaN)),
                    KerasModels.sequential(fixture).getLayerWiseConfigurations());
        }
    }

    private static void assertLayers(List<Mapped> expected, MultiLayerConfiguration conf) {
        assertEquals(expected.size(), conf.getConfs().size(), "layer count");
        for (int i = 0; i < expected.size(); i++) {
            assertLayer(expected.get(i), conf.getConf(i).getLayer());
        }
        Layer last = conf.getConf(expected.size() - 1).getLayer();
        assertInstanceOf(LossMCXENT.class, ((LossLayer) last).getLossFn(), "categorical_crossentropy");
    }

    private static void assertLayer(Mapped expected, Layer layer) {
        assertEquals(expected.name(), layer.getLayerName());
        assertEquals(expected.layer(), layer.getClass(), expected.name());
        IDropout dropout = layer.getIDropout();
        if (expected.dropout() == null) {
            assertNull(dropout, expected.name());
            return;
        }
        assertEquals(expected.dropout(), dropout.getClass(), expected.name());
        assertEquals(expected.parameter(), parameterOf(dropout), 1e-12, expected.name());
    }

    /** The one number each DL4J IDropout takes (for Dropout, SpatialDropout, AlphaDropout a retain probability). */
    private static double parameterOf(IDropout dropout) {
        if (dropout instanceof Dropout d) {
            return d.getP();
        } else if (dropout instanceof SpatialDropout d) {
            return d.getP();
        } else if (dropout instanceof AlphaDropout d) {
            return d.getP();
        } else if (dropout instanceof GaussianDropout d) {
            return d.getRate();
        } else if (dropout instanceof GaussianNoise d) {
            return d.getStddev();
        }
        throw new IllegalArgumentException("Unexpected IDropout " + dropout);
    }

    // ----------------------------------------------------------------------------------------------------------
    // DL4J defects

    @ParameterizedTest
    @EnumSource(value = Fixture.class, names = {"CONV_SEQUENTIAL", "CONV_FUNCTIONAL"})
    void dl4jDefect_spatialDropoutAfterChannelsLastConvDropsRowsOfHeightNotChannels(Fixture fixture) {
        // Keras's SpatialDropout2D after a channels_last Conv2D drops whole channels: one draw per (n, c), shared
        // over H and W. DL4J's SpatialDropout always draws one value per (n, index 1), here (n, h): every row of
        // H is kept or dropped across all of W and C. False failure <= 1e-8 + 2e-17 (two statistical assertions
        // below); the rest holds in every pass.
        int passes = 50;
        int height = 8;
        int width = 8;
        int channels = 4;
        INDArray x = fixture.input(MINIBATCH, 11);
        BiFunction<INDArray, Boolean, INDArray[]> convAndDropout = convAndDropout(fixture);
        // DL4J's DropoutLayer overwrites its input in training, so the convolution's output comes from an
        // evaluation pass (the convolution itself is deterministic).
        INDArray convolved = convAndDropout.apply(x, false)[0];
        assertArrayEquals(new long[] {MINIBATCH, height, width, channels}, convolved.shape(), "NHWC activations");
        float[] conv = rowMajor(convolved);

        Nd4j.getRandom().setSeed(20240611);
        long droppedRows = 0;
        long mixedPlanes = 0;
        for (int pass = 0; pass < passes; pass++) {
            float[] dropped = rowMajor(convAndDropout.apply(x, true)[1]);
            for (int n = 0; n < MINIBATCH; n++) {
                boolean anyRowKept = false;
                boolean anyRowDropped = false;
                for (int h = 0; h < height; h++) {
                    Boolean rowKept = null;
                    for (int i = (n * height + h) * width * channels, end = i + width * channels; i < end; i++) {
                        if (conv[i] == 0) {
                            continue; // ReLU's zeros tell nothing about the mask
                        }
                        boolean kept = dropped[i] != 0;
                        if (kept) {
                            assertEquals(2 * conv[i], dropped[i], 0, "a kept value is scaled by 1 / retain = 2");
                        }
                        if (rowKept != null) {
                            assertEquals(rowKept, kept, "pass " + pass + ", (n, h) = (" + n + ", " + h
                                    + "): DL4J's mask is no longer constant over (W, C)");
                        }
                        rowKept = kept;
                    }
                    assertTrue(rowKept != null, "row (" + n + ", " + h + ") of the convolution is all zeros");
                    droppedRows += rowKept ? 0 : 1;
                    anyRowKept |= rowKept;
                    anyRowDropped |= !rowKept;
                }
                // With one draw per row, every channel plane (n, c) holds the same rows; it is constant over
                // (H, W) only when all 8 rows agree.
                mixedPlanes += anyRowKept && anyRowDropped ? channels : 0;
            }
        }
        long rows = (long) passes * MINIBATCH * height;
        double tolerance = bernstein(rows * 0.25, 1, DELTA);
        assertTrue(Math.abs(droppedRows - rows * 0.5) <= tolerance,
                "dropped rows " + droppedRows + " of " + rows + ", expected half +- " + tolerance);
        // A sample's 8 rows all agree with probability 2^-7: P(more than 20 of the 200 (pass, n) do) = 2e-17.
        long planes = rows / height * channels;
        assertTrue(mixedPlanes >= planes - 20L * channels,
                mixedPlanes + " of " + planes + " channel planes are partly dropped: DL4J drops whole channels now?");
    }

    @Test
    void dl4jDefect_kerasDropoutRateIsLost() {
        // DL4J's KerasDropout reads the Keras 1 field "dropout"; Keras 2 writes "rate", so Dropout(0.3) becomes
        // DL4J's Dropout with retain probability 1.0 instead of 0.7: the layer never drops anything.
        MultiLayerNetwork net = KerasModels.sequential(Fixture.MLP_DROPOUT_ALPHA);
        Dropout imported = (Dropout) net.getLayerWiseConfigurations().getConf(1).getLayer().getIDropout();
        assertEquals(1.0, imported.getP(), 0, "retain probability (Keras's 1 - 0.3 = 0.7 expected)");

        INDArray x = Fixture.MLP_DROPOUT_ALPHA.input(64, 12);
        float[] input = rowMajor(net.feedForward(x, false).get(1)); // the output of "dense"
        Nd4j.getRandom().setSeed(20240612);
        for (int pass = 0; pass < 20; pass++) {
            // Deterministic under the defect; with retain 0.7 this would fail with probability ~1.
            assertArrayEquals(input, rowMajor(net.feedForward(x, true).get(2)), 0,
                    "pass " + pass + ": the imported Dropout(0.3) dropped something");
        }
    }

    @Test
    void dl4jRetainSemantics_alphaDropoutRate02IsImportedAsRetainProbability08() {
        // DL4J's AlphaDropout(p) takes the probability of keeping; the import converts Keras's rate: p = 0.8,
        // and in training 20% of the values take the dropped value. False failure <= 1e-8.
        MultiLayerNetwork net = KerasModels.sequential(Fixture.MLP_DROPOUT_ALPHA);
        AlphaDropout imported = (AlphaDropout) net.getLayerWiseConfigurations().getConf(3).getLayer().getIDropout();
        assertEquals(0.8, imported.getP(), 1e-12);

        // A dropped value is SELU's saturation -scale * alpha, mapped by the affine correction; a kept value lands
        // within 1e-5 of it with probability ~2e-5, which moves the expected count by < 1 of 20 480.
        double rate = 0.2;
        double a = AlphaParityTest.a(rate);
        double droppedValue = -SELU_SCALE * SELU_ALPHA * a * (1 - rate);
        INDArray x = Fixture.MLP_DROPOUT_ALPHA.input(64, 13);
        Nd4j.getRandom().setSeed(20240613);
        int passes = 20;
        long n = 0;
        long dropped = 0;
        for (int pass = 0; pass < passes; pass++) {
            for (float y : rowMajor(net.feedForward(x, true).get(4))) { // the output of "alpha_dropout"
                dropped += Math.abs(y - droppedValue) < 1e-5 ? 1 : 0;
                n++;
            }
        }
        double tolerance = bernstein(n * rate * (1 - rate), 1, DELTA);
        assertTrue(Math.abs(dropped - n * rate) <= tolerance,
                dropped + " of " + n + " dropped, expected " + n * rate + " +- " + tolerance);
    }

    @Test
    void dl4jDefect_gaussianDropoutRateIsInverted() {
        // Keras's GaussianDropout(rate) multiplies by N(1, rate / (1 - rate)); DL4J's GaussianDropout(rate) uses
        // the same formula, but the import passes 1 - rate. Keras rate 0.2 (noise stddev 0.5) becomes DL4J rate
        // 0.8 (stddev 2). Checked on the noise y / x of the positive inputs of "gaussian_dropout".
        MultiLayerNetwork net = KerasModels.sequential(Fixture.MLP_GAUSSIAN);
        GaussianDropout imported = (GaussianDropout) net.getLayerWiseConfigurations().getConf(1).getLayer()
                .getIDropout();
        assertEquals(0.8, imported.getRate(), 1e-12, "DL4J rate (Keras's 0.2 expected)");

        INDArray x = Fixture.MLP_GAUSSIAN.input(64, 14);
        float[] input = rowMajor(net.feedForward(x, false).get(1)); // the output of "dense" (ReLU)
        Nd4j.getRandom().setSeed(20240614);
        double sumOfSquares = 0;
        long k = 0;
        for (int pass = 0; pass < 20; pass++) {
            float[] y = rowMajor(net.feedForward(x, true).get(2));
            for (int i = 0; i < y.length; i++) {
                if (input[i] > 0) {
                    double deviation = (double) y[i] / input[i] - 1;
                    sumOfSquares += deviation * deviation;
                    k++;
                }
            }
        }
        // sumOfSquares / 4 is chi-square with k degrees of freedom if the stddev is 2; Laurent and Massart's
        // bounds P(X >= k + 2 sqrt(k t) + 2 t) <= e^-t and P(X <= k - 2 sqrt(k t)) <= e^-t at e^-t = 1e-8 each:
        // false failure <= 2e-8. Keras's stddev 0.5 would give a sixteenth of that.
        double t = Math.log(1 / DELTA);
        double chiSquare = sumOfSquares / 4;
        assertTrue(k > 1000, "positive inputs: " + k);
        assertTrue(chiSquare >= k - 2 * Math.sqrt(k * t) && chiSquare <= k + 2 * Math.sqrt(k * t) + 2 * t,
                "noise variance " + sumOfSquares / k + " over " + k + " values, DL4J's stddev 2 means 4");
    }

    @Test
    void dl4jDefect_channelsFirstConv2DInputIsReadAsChannelsLast() throws Exception {
        // Keras: Conv2D(data_format="channels_first") on input [3, 8, 8] has 3 input channels. DL4J reads the
        // input as [height 3, width 8, channels 8] NHWC. Only the configuration is imported: loading weights
        // into that layer writes past its parameters and crashes the JVM later.
        MultiLayerConfiguration conf = KerasModelImport.importKerasSequentialConfiguration(
                KerasModels.resource(KerasModels.CHANNELS_FIRST_JSON).toString(), false);
        ConvolutionLayer conv = (ConvolutionLayer) conf.getConf(0).getLayer();
        assertEquals(8, conv.getNIn(), "input channels (Keras's 3 expected)");
        assertEquals(CNN2DFormat.NHWC, conv.getCnn2dDataFormat(), "data format (Keras's channels_first expected)");
    }

    // ----------------------------------------------------------------------------------------------------------
    // Helpers

    private static INDArray evaluate(Fixture fixture, INDArray x) {
        return fixture.functional ? KerasModels.functional(fixture).outputSingle(x)
                : KerasModels.sequential(fixture).output(x);
    }

    /** One imported convolutional model: (input, training) -> the activations of "conv2d" and "spatial_dropout2d". */
    private static BiFunction<INDArray, Boolean, INDArray[]> convAndDropout(Fixture fixture) {
        if (fixture.functional) {
            ComputationGraph graph = KerasModels.functional(fixture);
            return (x, training) -> {
                Map<String, INDArray> activations = graph.feedForward(x, training);
                return new INDArray[] {activations.get("conv2d"), activations.get("spatial_dropout2d")};
            };
        }
        MultiLayerNetwork net = KerasModels.sequential(fixture);
        return (x, training) -> {
            List<INDArray> activations = net.feedForward(x, training); // [input, conv2d, spatial_dropout2d, ...]
            return new INDArray[] {activations.get(1), activations.get(2)};
        };
    }

    /** The Keras model's evaluation output, computed in plain Java from the file's raw weights (Keras layout). */
    private static double[] kerasForward(Fixture fixture, double[] x) {
        return switch (fixture) {
            case CONV_SEQUENTIAL, CONV_FUNCTIONAL -> dense(fixture, "dense", Activation.SOFTMAX,
                    conv3x3SameRelu(fixture, x, 8, 8, 3)); // channels_last: Flatten keeps the (h, w, c) order
            case MLP_DROPOUT_ALPHA -> dense(fixture, "dense_2", Activation.SOFTMAX,
                    dense(fixture, "dense_1", Activation.SELU, dense(fixture, "dense", Activation.RELU, x)));
            case MLP_GAUSSIAN -> dense(fixture, "dense_2", Activation.SOFTMAX,
                    dense(fixture, "dense_1", Activation.RELU, dense(fixture, "dense", Activation.RELU, x)));
        };
    }

    private enum Activation { RELU, SELU, SOFTMAX }

    /** Keras's Dense on a row-major [MINIBATCH, in] input. */
    private static double[] dense(Fixture fixture, String layer, Activation activation, double[] x) {
        INDArray kernel = KerasModels.kerasWeight(fixture, layer, "kernel");
        double[] w = rowMajorDouble(kernel);
        double[] b = rowMajorDouble(KerasModels.kerasWeight(fixture, layer, "bias"));
        int in = (int) kernel.size(0);
        int out = (int) kernel.size(1);
        double[] y = new double[MINIBATCH * out];
        for (int n = 0; n < MINIBATCH; n++) {
            double sum = 0;
            for (int j = 0; j < out; j++) {
                double z = b[j];
                for (int i = 0; i < in; i++) {
                    z += x[n * in + i] * w[i * out + j];
                }
                y[n * out + j] = switch (activation) {
                    case RELU -> Math.max(z, 0);
                    case SELU -> SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(z));
                    case SOFTMAX -> Math.exp(z);
                };
                sum += y[n * out + j];
            }
            for (int j = 0; activation == Activation.SOFTMAX && j < out; j++) {
                y[n * out + j] /= sum;
            }
        }
        return y;
    }

    /** Keras's Conv2D "conv2d" (3x3, stride 1, padding same, ReLU) on a row-major NHWC input. */
    private static double[] conv3x3SameRelu(Fixture fixture, double[] x, int height, int width, int in) {
        INDArray kernel = KerasModels.kerasWeight(fixture, "conv2d", "kernel"); // [rows, cols, in, out]
        double[] w = rowMajorDouble(kernel);
        double[] b = rowMajorDouble(KerasModels.kerasWeight(fixture, "conv2d", "bias"));
        int out = (int) kernel.size(3);
        double[] y = new double[MINIBATCH * height * width * out];
        for (int n = 0; n < MINIBATCH; n++) {
            for (int h = 0; h < height; h++) {
                for (int v = 0; v < width; v++) {
                    for (int c = 0; c < out; c++) {
                        double z = b[c];
                        for (int r = 0; r < 3; r++) {
                            for (int s = 0; s < 3; s++) {
                                int hh = h + r - 1;
                                int vv = v + s - 1;
                                if (hh < 0 || hh >= height || vv < 0 || vv >= width) {
                                    continue;
                                }
                                for (int i = 0; i < in; i++) {
                                    z += x[((n * height + hh) * width + vv) * in + i] * w[((r * 3 + s) * in + i) * out + c];
                                }
                            }
                        }
                        y[((n * height + h) * width + v) * out + c] = Math.max(z, 0);
                    }
                }
            }
        }
        return y;
    }
}
