package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.linalg.schedule.StepSchedule;

/**
 * {@code TransferLearning} and {@code FineTuneConfiguration} keep this library's layers and {@link TorchDropout}
 * with their p, schedules and formats, and a fine-tune {@code dropout(TorchDropout)} reaches DL4J's layers (not
 * ours, which are dropout already), with exact gradients after the surgery.
 */
@ExtendWith(DoublePrecision.class)
class TransferLearningTest {

    private static final long SEED = 99;
    private static final StepSchedule SCHEDULE = new StepSchedule(ScheduleType.EPOCH, 0.4, 0.5, 2);

    /** conv (NHWC) -> Dropout2d (format from the input type) -> dense with TorchDropout -> Dropout (scheduled) -> output. */
    private static MultiLayerNetwork original() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE)
                .updater(new NoOp()).weightInit(WeightInit.XAVIER).list()
                .layer(new ConvolutionLayer.Builder(2, 2).nOut(3).activation(Activation.TANH)
                        .dataFormat(CNN2DFormat.NHWC).build())
                .layer(new Dropout2d(0.3))
                .layer(new DenseLayer.Builder().nOut(6).activation(Activation.TANH)
                        .dropOut(TorchDropout.from(new Dropout.Builder().p(0.2).sharedAxes(0).build())).build())
                .layer(new Dropout.Builder().pSchedule(SCHEDULE).build())
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(4, 4, 2, CNN2DFormat.NHWC))
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static Layer layer(MultiLayerNetwork net, int i) {
        return net.getLayer(i).conf().getLayer();
    }

    private static INDArray features() {
        return IntegrationNets.randn(5, DataType.DOUBLE, 3, 4, 4, 2);
    }

    private static INDArray labels() {
        return Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}, {1, 0}});
    }

    private static boolean gradientsExact(MultiLayerNetwork net) {
        return IntegrationNets.gradientsExact(net, features(), labels(), SEED);
    }

    @Test
    void transferLearningKeepsOurLayersAndIDropouts() {
        MultiLayerNetwork original = original();
        MultiLayerNetwork tuned = new TransferLearning.Builder(original)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Sgd(0.1)).build())
                .setFeatureExtractor(0)
                .removeOutputLayer()
                .addLayer(new OutputLayer.Builder(LossFunction.MCXENT).nIn(6).nOut(2).activation(Activation.SOFTMAX)
                        .dropOut(new TorchDropout(0.1)).build())
                .build();
        Dropout2d channel = (Dropout2d) layer(tuned, 1);
        assertEquals(CNN2DFormat.NHWC, channel.getDataFormat());
        assertEquals(0.3, channel.getP());
        assertEquals(layer(original, 2).getIDropout(), layer(tuned, 2).getIDropout());
        assertEquals(SCHEDULE, ((Dropout) layer(tuned, 3)).getPSchedule());
        assertEquals(new TorchDropout(0.1), layer(tuned, 4).getIDropout());
        INDArray frozen = tuned.getLayer(0).params().dup();
        INDArray head = tuned.getLayer(4).params().dup();
        for (int i = 0; i < 3; i++) {
            tuned.fit(features(), labels());
        }
        assertEquals(frozen, tuned.getLayer(0).params(), "the feature extractor stays frozen");
        assertNotEquals(head, tuned.getLayer(4).params(), "the new head trains");
    }

    /** A fine-tune dropout goes to DL4J's layers, cloned per layer; ours keep their own p. */
    @Test
    void fineTuneDropoutReachesDl4jLayersOnly() {
        MultiLayerNetwork tuned = new TransferLearning.Builder(original())
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().dropout(new TorchDropout(0.25)).build())
                .build();
        for (int i : new int[] {0, 2, 4}) {
            assertEquals(new TorchDropout(0.25), layer(tuned, i).getIDropout(), "layer " + i);
        }
        assertEquals(0.3, ((Dropout2d) layer(tuned, 1)).getP());
        assertEquals(null, layer(tuned, 1).getIDropout());
        assertEquals(SCHEDULE, ((Dropout) layer(tuned, 3)).getPSchedule());
        assertTrue(gradientsExact(tuned));
    }

    @Test
    void graphTransferLearningKeepsThem() {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(SEED).dataType(DataType.DOUBLE)
                .updater(new NoOp()).graphBuilder().addInputs("in")
                .setInputTypes(InputType.convolutional(4, 4, 2, CNN2DFormat.NHWC))
                .addLayer("conv", new ConvolutionLayer.Builder(2, 2).nOut(3).dataFormat(CNN2DFormat.NHWC).build(), "in")
                .addLayer("drop", new Dropout2d(0.3), "conv")
                .addLayer("dense", new DenseLayer.Builder().nOut(6).dropOut(new TorchDropout(SCHEDULE)).build(), "drop")
                .addLayer("out", new OutputLayer.Builder(LossFunction.MCXENT).nOut(2).activation(Activation.SOFTMAX)
                        .build(), "dense")
                .setOutputs("out").build();
        ComputationGraph graph = new ComputationGraph(conf);
        graph.init();
        ComputationGraph tuned = new TransferLearning.GraphBuilder(graph)
                .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Sgd(0.1)).build())
                .setFeatureExtractor("conv")
                .build();
        assertEquals(CNN2DFormat.NHWC, ((Dropout2d) tuned.getLayer("drop").conf().getLayer()).getDataFormat());
        assertEquals(new TorchDropout(SCHEDULE), tuned.getLayer("dense").conf().getLayer().getIDropout());
        tuned.fit(new INDArray[] {features()}, new INDArray[] {labels()});
    }
}
