package io.github.dl4jtorch.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.samples.MnistNetworks.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

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
