package io.github.dl4jtorch.samples.spark;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.Dropout2d;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The convolutional MNIST classifier that PyTorch's MNIST example long used, with its {@code nn.Dropout2d}
 * after the second convolution, on channels-last (NHWC) images:
 * conv 5x5 (10 maps) -> max-pool 2 -> ReLU -> conv 5x5 (20 maps) -> {@link Dropout2d} -> max-pool 2 -> ReLU
 * -> Dense(320 -> 50, ReLU) -> {@link Dropout} -> Dense(50 -> 10, softmax).
 *
 * <p>{@code Dropout2d} takes its channel axis (3, channels last) from the network's input type: it zeroes whole
 * feature maps, not pixels. The data must then be NHWC too: {@link #nhwc} reshapes flat MNIST rows.
 */
public final class MnistConvNetwork {

    /** Image side in pixels. */
    public static final int SIDE = 28;

    private MnistConvNetwork() {
    }

    /**
     * The configuration.
     *
     * @param classes      output classes
     * @param pMaps        probability of zeroing a feature map after the second convolution
     * @param p            probability of zeroing a unit of the hidden dense layer
     * @param learningRate Adam's learning rate
     * @param seed         seed of the weight initialisation
     */
    public static MultiLayerConfiguration configuration(int classes, double pMaps, double p, double learningRate,
                                                        long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))
                .weightInit(WeightInit.UNIFORM)        // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as PyTorch's layers
                .list()
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(10).activation(Activation.IDENTITY).build())
                .layer(maxPool())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new ConvolutionLayer.Builder(5, 5).nOut(20).activation(Activation.IDENTITY).build())
                .layer(new Dropout2d(pMaps))                                   // conv2_drop
                .layer(maxPool())
                .layer(new ActivationLayer(Activation.RELU))
                .layer(new DenseLayer.Builder().nOut(50).activation(Activation.RELU).build())
                .layer(new Dropout(p))
                .layer(new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX)
                        .build())
                .setInputType(InputType.convolutional(SIDE, SIDE, 1, CNN2DFormat.NHWC))
                .build();
    }

    /**
     * The same examples with their features as NHWC images: {@code [count, 784]} rows become
     * {@code [count, 28, 28, 1]} (a view: a row-major image is already channels-last with one channel).
     */
    public static DataSet nhwc(DataSet flat) {
        INDArray images = flat.getFeatures().reshape('c', flat.numExamples(), SIDE, SIDE, 1);
        return new DataSet(images, flat.getLabels());
    }

    /**
     * The layer stack in one line; the dropout layers as they describe themselves, e.g.
     * {@code Dropout2d(p=0.5, inplace=false, dataFormat=NHWC)}.
     */
    public static String describe(MultiLayerConfiguration configuration) {
        return "Conv5x5(1->10) -> MaxPool2 -> ReLU -> Conv5x5(10->20) -> " + configuration.getConf(4).getLayer()
                + " -> MaxPool2 -> ReLU -> Dense(320->50, ReLU) -> " + configuration.getConf(8).getLayer()
                + " -> Dense(50->10, softmax)";
    }

    private static SubsamplingLayer maxPool() {
        return new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build();
    }
}
