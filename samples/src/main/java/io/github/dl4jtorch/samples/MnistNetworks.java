package io.github.dl4jtorch.samples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import io.github.dl4jtorch.dropout.Dropout;
import io.github.dl4jtorch.dropout.TorchDropout;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The two MNIST classifiers of the PyTorch dropout docs, built from Deeplearning4j layers and this
 * project's {@link Dropout}.
 *
 * <p>Both are initialised the way {@code torch.nn.Linear} initialises itself, weights and biases
 * drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), so that accuracy can be compared with PyTorch's for
 * the same training settings. DL4J's {@link WeightInit#UNIFORM} is that distribution for weights;
 * DL4J starts biases at a constant, so {@link #build} redraws them.
 */
public final class MnistNetworks {

    /**
     * The networks by name: each entry says what it is and adds its layers to the configuration
     * that {@link #configuration} starts (seed, data type, updater, initialisation) and ends (input
     * type). A variant is one more entry here: the command line, {@code --help} and the tests pick it up.
     */
    public enum Model {
        /**
         * {@code fc1 -> dropout -> relu -> fc2}: Dense(inputs -> hidden, identity), Dropout(p), ReLU,
         * Dense(hidden -> classes) with softmax and cross-entropy.
         */
        NET("net", 0.2, "Dense(784->H) -> Dropout(p) -> ReLU -> Dense(H->10)",
                (layers, hidden, classes, p) -> layers
                        .layer(dense(hidden, Activation.IDENTITY))      // fc1
                        .layer(new Dropout(p))                          // dropout
                        .layer(new ActivationLayer(Activation.RELU))    // relu
                        .layer(output(classes).build())),               // fc2
        /**
         * {@code net} written the way most DL4J code writes dropout: DL4J's {@code .dropOut(...)} on the
         * output layer, here with PyTorch's semantics ({@link TorchDropout}), instead of a Dropout layer.
         * ReLU and dropout commute (dropout zeroes or scales by a positive factor), so this is {@code net}:
         * the same masks for the same seed, the same training.
         */
        NET_IDROPOUT("net-idropout", 0.2, "Dense(784->H) -> ReLU -> Dense(H->10) with .dropOut(new TorchDropout(p))",
                (layers, hidden, classes, p) -> layers
                        .layer(dense(hidden, Activation.IDENTITY))      // fc1
                        .layer(new ActivationLayer(Activation.RELU))    // relu
                        .layer(output(classes).dropOut(new TorchDropout(p)).build())), // dropout, fc2
        /**
         * The docs' {@code DropoutNet}: two hidden layers, each ReLU then Dropout(p), then the output
         * layer; 784-256-256-10 with the default sizes.
         */
        DROPOUTNET("dropoutnet", 0.5, "784-H-H-10, ReLU then Dropout(p) after each hidden layer",
                (layers, hidden, classes, p) -> layers
                        .layer(dense(hidden, Activation.RELU))          // relu(fc1)
                        .layer(new Dropout(p))                          // dropout1
                        .layer(dense(hidden, Activation.RELU))          // relu(fc2)
                        .layer(new Dropout(p))                          // dropout2
                        .layer(output(classes).build()));               // fc3

        private final String cliName;
        private final double defaultP;
        private final String summary;
        private final Layers layers;

        Model(String cliName, double defaultP, String summary, Layers layers) {
            this.cliName = cliName;
            this.defaultP = defaultP;
            this.summary = summary;
            this.layers = layers;
        }

        /** The drop probability the docs use with this network. */
        public double defaultP() {
            return defaultP;
        }

        /** The name used on the command line and in reports, e.g. {@code net}. */
        public String cliName() {
            return cliName;
        }

        /** The layers in a few words, for {@code --help}. */
        public String summary() {
            return summary;
        }

        /** Parses a {@link #cliName()}, ignoring case. */
        public static Model parse(String text) {
            for (Model model : values()) {
                if (model.cliName.equalsIgnoreCase(text)) {
                    return model;
                }
            }
            throw new IllegalArgumentException("unknown model '" + text + "', expected one of " + String.join(", ", names()));
        }

        /** Every {@link #cliName()}, in declaration order. */
        public static List<String> names() {
            return Arrays.stream(values()).map(Model::cliName).toList();
        }
    }

    /** Adds a network's layers, from the first hidden layer to the output layer. */
    @FunctionalInterface
    interface Layers {
        /**
         * @param list    the configuration being built
         * @param hidden  units per hidden layer
         * @param classes output classes
         * @param p       probability of zeroing an activation in training (PyTorch's meaning)
         */
        void addTo(NeuralNetConfiguration.ListBuilder list, int hidden, int classes, double p);
    }

    private MnistNetworks() {
    }

    /**
     * The network's configuration, as a user would copy it into their own job.
     *
     * @param model        which network
     * @param inputs       input features per example (784 for MNIST)
     * @param hidden       units per hidden layer
     * @param classes      output classes
     * @param p            probability of zeroing an activation in training (PyTorch's meaning)
     * @param learningRate Adam's learning rate
     * @param seed         seed of the weight initialisation
     */
    public static MultiLayerConfiguration configuration(Model model, int inputs, int hidden, int classes,
                                                        double p, double learningRate, long seed) {
        NeuralNetConfiguration.ListBuilder layers = new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(learningRate))       // betas 0.9/0.999 and eps 1e-8, as torch.optim.Adam
                .weightInit(WeightInit.UNIFORM)        // U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as nn.Linear
                .list();
        model.layers.addTo(layers, hidden, classes, p);
        return layers
                .setInputType(InputType.feedForward(inputs))
                .build();
    }

    /**
     * Builds and initialises the network, with biases drawn like PyTorch's; see
     * {@link #configuration} for the parameters.
     */
    public static MultiLayerNetwork build(Model model, int inputs, int hidden, int classes,
                                          double p, double learningRate, long seed) {
        MultiLayerNetwork network = new MultiLayerNetwork(
                configuration(model, inputs, hidden, classes, p, learningRate, seed));
        network.init();
        initBiasesLikePyTorch(network, seed);
        return network;
    }

    /** Redraws every dense layer's bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    private static void initBiasesLikePyTorch(MultiLayerNetwork network, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Layer layer : network.getLayers()) {
            INDArray weights = layer.paramTable().get(DefaultParamInitializer.WEIGHT_KEY);
            INDArray bias = layer.paramTable().get(DefaultParamInitializer.BIAS_KEY);
            if (weights == null || bias == null) {
                continue;
            }
            double bound = 1.0 / Math.sqrt(weights.size(0)); // weights are [fan_in, fan_out]
            for (long i = 0; i < bias.length(); i++) {
                bias.putScalar(i, (random.nextDouble() * 2 - 1) * bound);
            }
        }
    }

    /**
     * The layer stack in one line, e.g.
     * {@code Dense(784->256, identity) -> Dropout(p=0.2, inplace=false) -> ReLU -> Dense(256->10, softmax) + MCXENT loss}.
     * A layer's own {@code dropOut(IDropout)} shows as a step before it, {@code dropOut <its toString()>}.
     */
    public static String describe(MultiLayerConfiguration configuration) {
        List<String> parts = new ArrayList<>();
        for (NeuralNetConfiguration layerConf : configuration.getConfs()) {
            org.deeplearning4j.nn.conf.layers.Layer layer = layerConf.getLayer();
            if (layer instanceof FeedForwardLayer dense) {
                String text = "Dense(" + dense.getNIn() + "->" + dense.getNOut() + ", " + activationName(dense.getActivationFn()) + ")";
                parts.add(layer instanceof OutputLayer output
                        ? text + " + " + output.getLossFn().getClass().getSimpleName().replaceFirst("^Loss", "") + " loss"
                        : text);
            } else if (layer instanceof ActivationLayer activation) {
                parts.add(activationName(activation.getActivationFn()));
            } else {
                parts.add(layer.toString());
            }
            if (layer.getIDropout() != null) {
                // DL4J's per-layer dropout acts on the layer's input: show it where it acts.
                parts.add(parts.size() - 1, "dropOut " + layer.getIDropout());
            }
        }
        return String.join(" -> ", parts);
    }

    /** {@code ActivationReLU} becomes {@code ReLU}. */
    private static String activationName(IActivation activation) {
        return activation.toString().replace("ActivationReLU", "ReLU").replaceFirst("^Activation", "").toLowerCase(Locale.ROOT)
                .replace("relu", "ReLU");
    }

    private static DenseLayer dense(int units, Activation activation) {
        return new DenseLayer.Builder().nOut(units).activation(activation).build();
    }

    /** Softmax with cross-entropy, as {@code nn.CrossEntropyLoss} after a {@code nn.Linear}; not yet built. */
    private static OutputLayer.Builder output(int classes) {
        return new OutputLayer.Builder(LossFunction.MCXENT).nOut(classes).activation(Activation.SOFTMAX);
    }
}
