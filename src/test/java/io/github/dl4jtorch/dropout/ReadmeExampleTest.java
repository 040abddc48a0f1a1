package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/** The README's configuration example, as printed there, must compile, train and evaluate. */
class ReadmeExampleTest {

    @Test
    void readmeExampleTrainsAndIsIdentityInEvaluation() {
        // --- as in README.md ---
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42).updater(new Adam(1e-3)).list()
                .layer(new DenseLayer.Builder().nIn(784).nOut(256).activation(Activation.IDENTITY).build())
                .layer(new Dropout(0.2))                             // nn.Dropout(p=0.2)
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(256).nOut(10)
                        .activation(Activation.SOFTMAX).build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();   // net.fit(...) drops 20% and scales the rest by 1/0.8; net.output(x) is the identity there
        // --- end ---

        Nd4j.getRandom().setSeed(7);
        INDArray features = Nd4j.rand(DataType.FLOAT, 32, 784);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 32, 10);
        for (int i = 0; i < 32; i++) {
            labels.putScalar(i, i % 10, 1f);
        }
        net.fit(features, labels);

        assertEquals(net.output(features), net.output(features), "evaluation must be deterministic");
        assertNotEquals(net.output(features, true), net.output(features, true), "training must drop");
        INDArray hidden = net.feedForward(features, true).get(2); // the Dropout layer's output
        double zeroFraction = hidden.eq(0).castTo(DataType.FLOAT).meanNumber().doubleValue();
        // 8192 Bernoulli(0.2) lanes: sd 0.0044, so [0.15, 0.25] is more than 11 sd wide on each side.
        assertEquals(0.2, zeroFraction, 0.05);
    }
}
