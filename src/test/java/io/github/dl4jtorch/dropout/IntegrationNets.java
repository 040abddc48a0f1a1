package io.github.dl4jtorch.dropout;

import java.util.List;
import java.util.function.BiFunction;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * Small networks for the integration tests: a trainable layer that keeps the input's layout, the dropout layer
 * under test, and an output layer; one {@link Case} per (layer, layout) pair the library supports.
 */
final class IntegrationNets {

    /** Channels (or units) of every activation; spatial sizes are small so gradient checks stay fast. */
    static final int CHANNELS = 3;
    static final int LENGTH = 4;
    static final int HEIGHT = 3;
    static final int WIDTH = 2;
    static final int DEPTH = 2;
    static final int OUTPUTS = 2;

    private IntegrationNets() {
    }

    /** An input layout: its DL4J input type, its array shape and its channel axis. */
    enum Layout {
        FF(1), NCW(1), NWC(2), NCHW(1), NHWC(3), NCDHW(1), NDHWC(4);

        final int channelAxis;

        Layout(int channelAxis) {
            this.channelAxis = channelAxis;
        }

        InputType inputType() {
            return switch (this) {
                case FF -> InputType.feedForward(CHANNELS);
                case NCW -> InputType.recurrent(CHANNELS, LENGTH, RNNFormat.NCW);
                case NWC -> InputType.recurrent(CHANNELS, LENGTH, RNNFormat.NWC);
                case NCHW -> InputType.convolutional(HEIGHT, WIDTH, CHANNELS, CNN2DFormat.NCHW);
                case NHWC -> InputType.convolutional(HEIGHT, WIDTH, CHANNELS, CNN2DFormat.NHWC);
                case NCDHW -> InputType.convolutional3D(Convolution3D.DataFormat.NCDHW, DEPTH, HEIGHT, WIDTH, CHANNELS);
                case NDHWC -> InputType.convolutional3D(Convolution3D.DataFormat.NDHWC, DEPTH, HEIGHT, WIDTH, CHANNELS);
            };
        }

        long[] shape(int minibatch) {
            return switch (this) {
                case FF -> new long[] {minibatch, CHANNELS};
                case NCW -> new long[] {minibatch, CHANNELS, LENGTH};
                case NWC -> new long[] {minibatch, LENGTH, CHANNELS};
                case NCHW -> new long[] {minibatch, CHANNELS, HEIGHT, WIDTH};
                case NHWC -> new long[] {minibatch, HEIGHT, WIDTH, CHANNELS};
                case NCDHW -> new long[] {minibatch, CHANNELS, DEPTH, HEIGHT, WIDTH};
                case NDHWC -> new long[] {minibatch, DEPTH, HEIGHT, WIDTH, CHANNELS};
            };
        }

        long[] labelShape(int minibatch) {
            return switch (this) {
                case NCW -> new long[] {minibatch, OUTPUTS, LENGTH};
                case NWC -> new long[] {minibatch, LENGTH, OUTPUTS};
                default -> new long[] {minibatch, OUTPUTS};
            };
        }

        /** A trainable layer whose output has this layout and the input's shape. */
        Layer trainable() {
            return switch (this) {
                case FF -> new DenseLayer.Builder().nOut(CHANNELS).activation(Activation.TANH).build();
                case NCW, NWC -> new SimpleRnn.Builder().nOut(CHANNELS).activation(Activation.TANH)
                        .dataFormat(this == NCW ? RNNFormat.NCW : RNNFormat.NWC).build();
                case NCHW, NHWC -> new ConvolutionLayer.Builder(2, 2).nOut(CHANNELS).activation(Activation.TANH)
                        .convolutionMode(ConvolutionMode.Same)
                        .dataFormat(this == NCHW ? CNN2DFormat.NCHW : CNN2DFormat.NHWC).build();
                case NCDHW, NDHWC -> new Convolution3D.Builder().kernelSize(1, 2, 2).nOut(CHANNELS)
                        .activation(Activation.TANH).convolutionMode(ConvolutionMode.Same)
                        .dataFormat(this == NCDHW ? Convolution3D.DataFormat.NCDHW : Convolution3D.DataFormat.NDHWC)
                        .build();
            };
        }

        Layer output() {
            return switch (this) {
                case NCW, NWC -> new RnnOutputLayer.Builder(LossFunction.MSE).nOut(OUTPUTS).activation(Activation.IDENTITY)
                        .dataFormat(this == NCW ? RNNFormat.NCW : RNNFormat.NWC).build();
                default -> new OutputLayer.Builder(LossFunction.MSE).nOut(OUTPUTS).activation(Activation.IDENTITY).build();
            };
        }
    }

    /** One dropout layer on one layout; {@code layer} makes it from (p, inplace), its format from the input type. */
    record Case(String name, Layout layout, boolean alpha, boolean channelWise,
                BiFunction<Double, Boolean, AbstractDropout> layer) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("Dropout FF", Layout.FF, false, false, Dropout::new),
            new Case("Dropout NHWC", Layout.NHWC, false, false, Dropout::new),
            new Case("AlphaDropout FF", Layout.FF, true, false, AlphaDropout::new),
            new Case("AlphaDropout NWC", Layout.NWC, true, false, AlphaDropout::new),
            new Case("Dropout1d NCW", Layout.NCW, false, true, Dropout1d::new),
            new Case("Dropout1d NWC", Layout.NWC, false, true, Dropout1d::new),
            new Case("Dropout2d NCHW", Layout.NCHW, false, true, Dropout2d::new),
            new Case("Dropout2d NHWC", Layout.NHWC, false, true, Dropout2d::new),
            new Case("Dropout3d NCDHW", Layout.NCDHW, false, true, Dropout3d::new),
            new Case("Dropout3d NDHWC", Layout.NDHWC, false, true, Dropout3d::new),
            new Case("FeatureAlphaDropout FF", Layout.FF, true, false, FeatureAlphaDropout::new),
            new Case("FeatureAlphaDropout NCHW", Layout.NCHW, true, true, FeatureAlphaDropout::new),
            new Case("FeatureAlphaDropout NHWC", Layout.NHWC, true, true, FeatureAlphaDropout::new),
            new Case("FeatureAlphaDropout NDHWC", Layout.NDHWC, true, true, FeatureAlphaDropout::new));

    static List<Case> cases() {
        return CASES;
    }

    /** The cases with a channel-wise mask. */
    static List<Case> channelCases() {
        return CASES.stream().filter(Case::channelWise).toList();
    }

    static NeuralNetConfiguration.Builder base(long seed, DataType dataType, IUpdater updater, WorkspaceMode mode) {
        return new NeuralNetConfiguration.Builder().seed(seed).dataType(dataType).updater(updater)
                .weightInit(WeightInit.XAVIER).trainingWorkspaceMode(mode).inferenceWorkspaceMode(mode);
    }

    /** trainable -> dropout -> output. */
    static MultiLayerConfiguration mlnConf(Case c, double p, boolean inplace, NeuralNetConfiguration.Builder base) {
        Layout layout = c.layout();
        return base.list()
                .layer(layout.trainable())
                .layer(c.layer().apply(p, inplace))
                .layer(layout.output())
                .setInputType(layout.inputType())
                .build();
    }

    /** in -> "t" (trainable) -> "drop" -> "out". */
    static ComputationGraphConfiguration graphConf(Case c, double p, boolean inplace,
                                                   NeuralNetConfiguration.Builder base) {
        Layout layout = c.layout();
        return base.graphBuilder()
                .addInputs("in")
                .setInputTypes(layout.inputType())
                .addLayer("t", layout.trainable(), "in")
                .addLayer("drop", c.layer().apply(p, inplace), "t")
                .addLayer("out", layout.output(), "drop")
                .setOutputs("out")
                .build();
    }

    static MultiLayerNetwork mln(MultiLayerConfiguration conf) {
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    static ComputationGraph graph(ComputationGraphConfiguration conf) {
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }

    /** Standard normal values of {@code shape}, reproducible from {@code seed}. */
    static INDArray randn(long seed, DataType dataType, long... shape) {
        return Nd4j.randn(seed, shape).castTo(dataType);
    }

    /** DL4J's gradient check, reseeding ND4J's generator before every pass so that each pass draws the same masks. */
    static boolean gradientsExact(MultiLayerNetwork net, INDArray features, INDArray labels, long seed) {
        return org.deeplearning4j.gradientcheck.GradientCheckUtil.checkGradients(
                new org.deeplearning4j.gradientcheck.GradientCheckUtil.MLNConfig().net(net)
                        .input(features).labels(labels)
                        .callEachIter(n -> Nd4j.getRandom().setSeed(seed))
                        .exitOnFirstError(true)
                        .print(org.deeplearning4j.gradientcheck.GradientCheckUtil.PrintMode.FAILURES_ONLY));
    }
}
