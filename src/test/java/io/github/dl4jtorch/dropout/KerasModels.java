package io.github.dl4jtorch.dropout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.stream.LongStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.Hdf5Archive;
import org.deeplearning4j.nn.modelimport.keras.KerasModelImport;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Keras model files in {@code src/test/resources/keras}, written in Keras 2.10's own .h5 layout by
 * {@code src/test/keras/make_keras_models.py}, imported with DL4J's {@link KerasModelImport} (training
 * configuration enforced; each file is a compiled model, so DL4J appends a {@code LossLayer} named
 * {@code <last layer>_loss}).
 *
 * <p>Keras layer names (the DL4J layer and vertex names are the same):
 * <ul>
 *   <li>{@link Fixture#CONV_SEQUENTIAL}, {@link Fixture#CONV_FUNCTIONAL}: {@code conv2d} (Conv2D 4 filters 3x3
 *       same relu, channels_last) -> {@code spatial_dropout2d} (rate 0.5) -> {@code flatten} -> {@code dense}
 *       (5, softmax); the functional model's input is {@code input_1}. Both files hold the same weights.</li>
 *   <li>{@link Fixture#MLP_DROPOUT_ALPHA}: {@code dense} (16, relu) -> {@code dropout} (rate 0.3) -> {@code dense_1}
 *       (16, selu) -> {@code alpha_dropout} (rate 0.2) -> {@code dense_2} (4, softmax).</li>
 *   <li>{@link Fixture#MLP_GAUSSIAN}: {@code dense} (16, relu) -> {@code gaussian_dropout} (rate 0.2) ->
 *       {@code dense_1} (16, relu) -> {@code gaussian_noise} (stddev 0.1) -> {@code dense_2} (4, softmax).</li>
 * </ul>
 */
final class KerasModels {

    /** One model file: its name, whether it is a functional model, and one example's input shape. */
    enum Fixture {
        CONV_SEQUENTIAL("conv_spatial_dropout_sequential.h5", false, 8, 8, 3),
        CONV_FUNCTIONAL("conv_spatial_dropout_functional.h5", true, 8, 8, 3),
        MLP_DROPOUT_ALPHA("mlp_dropout_alpha_dropout.h5", false, 12),
        MLP_GAUSSIAN("mlp_gaussian_dropout_noise.h5", false, 12);

        final String fileName;
        final boolean functional;
        private final long[] exampleShape;

        Fixture(String fileName, boolean functional, long... exampleShape) {
            this.fileName = fileName;
            this.functional = functional;
            this.exampleShape = exampleShape;
        }

        /** The file on disk (KerasModelImport and Hdf5Archive take paths). */
        Path path() {
            return resource(fileName);
        }

        /** Standard normal inputs of shape [minibatch, exampleShape...] (NHWC for the convolutional models). */
        INDArray input(int minibatch, long seed) {
            long[] shape = LongStream.concat(LongStream.of(minibatch), LongStream.of(exampleShape)).toArray();
            return Nd4j.randn(seed, shape).castTo(DataType.FLOAT);
        }
    }

    /** The architecture of {@link Fixture#CONV_SEQUENTIAL} with channels_first layers, as Keras's to_json writes it. */
    static final String CHANNELS_FIRST_JSON = "conv_spatial_dropout_channels_first.json";

    private KerasModels() {
    }

    /** A Sequential fixture as DL4J imports it. */
    static MultiLayerNetwork sequential(Fixture fixture) {
        requireKind(fixture, false);
        return load(() -> KerasModelImport.importKerasSequentialModelAndWeights(fixture.path().toString(), true));
    }

    /** A Functional fixture as DL4J imports it. */
    static ComputationGraph functional(Fixture fixture) {
        requireKind(fixture, true);
        return load(() -> KerasModelImport.importKerasModelAndWeights(fixture.path().toString(), true));
    }

    /**
     * One weight as the file stores it, in Keras's layout (Conv2D kernel [rows, cols, in, out], Dense kernel
     * [in, out]), read without DL4J's layer import: e.g. {@code kerasWeight(f, "conv2d", "kernel")}.
     */
    static INDArray kerasWeight(Fixture fixture, String layer, String variable) {
        try (Hdf5Archive archive = new Hdf5Archive(fixture.path().toString())) {
            return archive.readDataSet(variable + ":0", "model_weights", layer, layer);
        } catch (UnsupportedKerasConfigurationException e) {
            throw new IllegalStateException(fixture.fileName + " has no weight " + layer + "/" + variable, e);
        }
    }

    /** A file in src/test/resources/keras. */
    static Path resource(String fileName) {
        URL url = KerasModels.class.getResource("/keras/" + fileName);
        if (url == null) {
            throw new IllegalStateException("Missing test resource keras/" + fileName);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void requireKind(Fixture fixture, boolean functional) {
        if (fixture.functional != functional) {
            throw new IllegalArgumentException(fixture + " is a " + (fixture.functional ? "Functional" : "Sequential")
                    + " model: use " + (fixture.functional ? "functional" : "sequential") + "(fixture)");
        }
    }

    private interface Import<T> {
        T run() throws IOException, InvalidKerasConfigurationException, UnsupportedKerasConfigurationException;
    }

    private static <T> T load(Import<T> importer) {
        try {
            return importer.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InvalidKerasConfigurationException | UnsupportedKerasConfigurationException e) {
            throw new IllegalStateException("DL4J could not import the Keras fixture", e);
        }
    }
}
