package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

class MnistNetworksTest {

    @Test
    void netIsDenseDropoutReluOutput() {
        MultiLayerConfiguration conf = MnistNetworks.configuration(Model.NET, 784, 128, 10, 0.2, 1e-3, 7);
        assertEquals(4, conf.getConfs().size());
        assertInstanceOf(DenseLayer.class, layer(conf, 0));
        assertEquals(0.2, ((Dropout) layer(conf, 1)).getP());
        assertInstanceOf(ActivationLayer.class, layer(conf, 2));
        assertInstanceOf(OutputLayer.class, layer(conf, 3));
        assertEquals("Dense(784->128, identity) -> Dropout(p=0.2, inplace=false) -> ReLU -> Dense(128->10, softmax)"
                + " + MCXENT loss", MnistNetworks.describe(conf));
    }

    @Test
    void dropoutNetHasDropoutAfterEachHiddenLayer() {
        MultiLayerConfiguration conf = MnistNetworks.configuration(Model.DROPOUTNET, 784, 256, 10, 0.5, 1e-3, 7);
        assertEquals("Dense(784->256, ReLU) -> Dropout(p=0.5, inplace=false) -> Dense(256->256, ReLU)"
                + " -> Dropout(p=0.5, inplace=false) -> Dense(256->10, softmax) + MCXENT loss", MnistNetworks.describe(conf));
    }

    /** Holds for any entry of the table, so a new variant is checked as soon as it is added. */
    @Test
    void everyModelBuildsTrainsAndIsNamedOnTheCommandLine() {
        String usage = MnistMlpOptions.usage();
        assertTrue(usage.contains("--model " + String.join("|", Model.names())), usage);
        DataSet batch = new DataSet(Nd4j.rand(DataType.FLOAT, 8, 12), Nd4j.eye(4).repeat(0, 2).castTo(DataType.FLOAT));
        for (Model model : Model.values()) {
            assertEquals(model, Model.parse(model.cliName().toUpperCase(Locale.ROOT)));
            assertTrue(usage.contains(model.cliName() + ": " + model.summary()), usage);
            MultiLayerNetwork network = MnistNetworks.build(model, 12, 6, 4, model.defaultP(), 1e-3, 7);
            INDArray before = network.params().dup();
            network.fit(batch);
            assertArrayEquals(new long[] {8, 4}, network.output(batch.getFeatures()).shape(), model.cliName());
            assertTrue(Double.isFinite(network.score()), model.cliName());
            assertNotEquals(before, network.params(), model.cliName() + " trains");
        }
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Model.parse("nett"));
        assertTrue(unknown.getMessage().contains("'nett'") && unknown.getMessage().contains(String.join(", ", Model.names())),
                unknown.getMessage());
    }

    @Test
    void describeShowsALayersOwnDropoutBeforeIt() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .list()
                .layer(new DenseLayer.Builder().nOut(5).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(3).activation(Activation.SOFTMAX)
                        .dropOut(new org.deeplearning4j.nn.conf.dropout.Dropout(0.8)).build())
                .setInputType(InputType.feedForward(4))
                .build();
        String description = MnistNetworks.describe(conf);
        assertTrue(description.startsWith("Dense(4->5, ReLU) -> dropOut Dropout(") && description.contains("p=0.8"),
                description);
        assertTrue(description.endsWith(" -> Dense(5->3, softmax) + MCXENT loss"), description);
    }

    @Test
    void weightsAndBiasesAreInitialisedLikeTorchLinear() {
        MultiLayerNetwork network = MnistNetworks.build(Model.DROPOUTNET, 784, 256, 10, 0.5, 1e-3, 7);
        checkUniform(network.getLayer(0).getParam("W"), 784);
        checkUniform(network.getLayer(0).getParam("b"), 784);
        checkUniform(network.getLayer(2).getParam("W"), 256);
        checkUniform(network.getLayer(2).getParam("b"), 256);
        checkUniform(network.getLayer(4).getParam("W"), 256);
        // Only ten output biases: too few to check the spread, but they must be within the bound.
        double outputBiasBound = 1 / Math.sqrt(256);
        assertTrue(network.getLayer(4).getParam("b").amaxNumber().doubleValue() <= outputBiasBound);
        assertTrue(network.getLayer(4).getParam("b").amaxNumber().doubleValue() > 0);
        // The biases live in the network's flat parameter vector, so the optimiser trains them.
        assertEquals(network.getLayer(4).getParam("b").getDouble(3),
                network.params().getDouble(network.numParams() - 10 + 3));
    }

    @Test
    void sameSeedSameNetwork() {
        MultiLayerNetwork a = MnistNetworks.build(Model.NET, 784, 32, 10, 0.2, 1e-3, 11);
        MultiLayerNetwork b = MnistNetworks.build(Model.NET, 784, 32, 10, 0.2, 1e-3, 11);
        MultiLayerNetwork c = MnistNetworks.build(Model.NET, 784, 32, 10, 0.2, 1e-3, 12);
        assertEquals(a.params(), b.params());
        assertTrue(!a.params().equals(c.params()));
    }

    /** Values within +-1/sqrt(fanIn), spread over most of that range, mean near 0. */
    private static void checkUniform(INDArray values, int fanIn) {
        double bound = 1 / Math.sqrt(fanIn);
        double[] data = values.dup().data().asDouble();
        double max = Arrays.stream(data).max().orElseThrow();
        double min = Arrays.stream(data).min().orElseThrow();
        double mean = Arrays.stream(data).average().orElseThrow();
        assertTrue(max <= bound && min >= -bound, "outside the bound " + bound + ": " + min + ".." + max);
        assertTrue(max > 0.9 * bound && min < -0.9 * bound, "not spread over the bound " + bound + ": " + min + ".." + max);
        assertTrue(Math.abs(mean) < 0.2 * bound, "mean " + mean);
    }

    private static Layer layer(MultiLayerConfiguration conf, int index) {
        return conf.getConf(index).getLayer();
    }
}
