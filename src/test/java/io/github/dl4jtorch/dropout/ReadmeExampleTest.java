package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Map;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.nd4j.weightinit.impl.ZeroInitScheme;

/** The README's examples (the configuration and the SameDiff graph), as printed there, must compile, train and evaluate. */
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

    @Test
    void readmeSameDiffExampleTrainsAndIsIdentityInEvaluation() {
        Nd4j.getRandom().setSeed(7);
        INDArray features = Nd4j.rand(DataType.FLOAT, 96, 784);
        INDArray labels = Nd4j.zeros(DataType.FLOAT, 96, 10);
        for (int i = 0; i < 96; i++) {
            labels.putScalar(i, i % 10, 1f);
        }
        DataSetIterator trainIterator = new ListDataSetIterator<>(new DataSet(features, labels).asList(), 32);

        // --- as in README.md ---
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("in", DataType.FLOAT, -1, 784);     // any batch size
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 10);
        SDVariable training = SameDiffDropout.trainingSwitch(sd);            // false until setTraining(sd, true)
        SDVariable w0 = sd.var("w0", new XavierInitScheme('c', 784, 64), DataType.FLOAT, 784, 64);
        SDVariable b0 = sd.var("b0", new ZeroInitScheme('c'), DataType.FLOAT, 64);
        SDVariable w1 = sd.var("w1", new XavierInitScheme('c', 64, 10), DataType.FLOAT, 64, 10);
        SDVariable b1 = sd.var("b1", new ZeroInitScheme('c'), DataType.FLOAT, 10);
        SDVariable hidden = sd.nn.relu(in.mmul(w0).add(b0), 0);
        SDVariable dropped = SameDiffDropout.apply(sd, hidden, new Dropout(0.2), training);   // nn.Dropout(p=0.2)
        SDVariable logits = dropped.mmul(w1).add(b1);
        sd.nn.softmax("probabilities", logits, 1);
        sd.loss.softmaxCrossEntropy("loss", label, logits, null);
        sd.setTrainingConfig(new TrainingConfig.Builder().updater(new Adam(1e-3))
                .dataSetFeatureMapping("in").dataSetLabelMapping("label").build());

        SameDiffDropout.setTraining(sd, true);     // model.train(): sd.fit drops 20%, scales the rest by 1/0.8
        sd.fit(trainIterator, 1);
        SameDiffDropout.setTraining(sd, false);    // model.eval(): the dropout is the identity
        INDArray probabilities = sd.output(Map.of("in", features), "probabilities").get("probabilities");
        // --- end ---

        INDArray evaluation = probabilities.dup();
        assertEquals(evaluation, sd.output(Map.of("in", features), "probabilities").get("probabilities"),
                "evaluation must be deterministic");
        SameDiffDropout.setTraining(sd, true);
        INDArray positive = sd.output(Map.of("in", features), hidden.name()).get(hidden.name()).gt(0)
                .castTo(DataType.FLOAT);
        INDArray first = sd.output(Map.of("in", features), dropped.name()).get(dropped.name()).dup();
        assertNotEquals(first, sd.output(Map.of("in", features), dropped.name()).get(dropped.name()),
                "training must drop");
        double zeroFraction = first.eq(0).castTo(DataType.FLOAT).mul(positive).sumNumber().doubleValue()
                / positive.sumNumber().doubleValue();
        // Thousands of positive activations, each zeroed with probability 0.2: sd below 0.01, so 0.05 is over 5 sd.
        assertEquals(0.2, zeroFraction, 0.05);
    }
}
