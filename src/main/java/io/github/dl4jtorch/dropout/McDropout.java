package io.github.dl4jtorch.dropout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.wrapper.BaseWrapperLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Monte Carlo dropout (Gal and Ghahramani, "Dropout as a Bayesian Approximation: Representing Model Uncertainty in
 * Deep Learning", ICML 2016): {@code T} evaluation passes of a trained network with its dropout layers active, whose
 * spread estimates how unsure the model is.
 *
 * <p>{@link #predict(MultiLayerNetwork, INDArray, int) predict} switches on <em>every</em> dropout layer of this
 * library in the network (whether or not it was built with {@code monteCarlo(true)}; also inside DL4J's wrapper
 * layers such as {@code FrozenLayer}) for the call, and runs {@code net.output(x)} {@code T} times: every other layer
 * stays in evaluation mode (BatchNorm uses its running statistics and leaves them alone), and DL4J's own
 * {@code .dropOut(...)}, which DL4J applies in training passes only, stays off. Afterwards the layers are switched
 * back, whatever happens, and keep no mask; parameters and BatchNorm statistics are never written. The masks come
 * from ND4J's generator: {@code Nd4j.getRandom().setSeed(s)} before the call makes it reproducible on one thread.
 *
 * <p>With outputs {@code y_1 ... y_T} (each of {@code net.output(x)}'s shape) the {@link Prediction} holds
 * <ul>
 *   <li>{@code mean = (1/T) sum_t y_t} and {@code variance = (1/T) sum_t (y_t - mean)^2} (population variance),
 *       element-wise, accumulated with Welford's update {@code d = y_t - m; m += d/t; M2 += d (y_t - m)} in double
 *       precision, so memory does not grow with {@code T} and the variance is exactly 0 wherever all samples agree;
 *   <li>for classification outputs {@code [examples, classes]} whose rows are probability vectors (softmax), per
 *       example, natural log: the predictive entropy {@code H = -sum_c mean_c ln mean_c} and the mutual information
 *       {@code I = H - (1/T) sum_t (-sum_c y_tc ln y_tc)}, the part of the uncertainty that comes from the model (the
 *       samples disagree) rather than from the data (Gal, "Uncertainty in Deep Learning", 2016, section 3.3.1).
 *       {@code 0 ln 0} counts as 0.
 * </ul>
 * With {@code T = 1} the mean is one stochastic pass and the variance and mutual information are 0; with every
 * dropout layer at {@code p = 0} the mean equals {@code net.output(x)} exactly and the variance is 0.
 *
 * <p><b>Example:</b>
 * <pre>{@code
 * Nd4j.getRandom().setSeed(42);
 * McDropout.Prediction prediction = McDropout.predict(net, testFeatures, 50);
 * INDArray probabilities = prediction.mean();               // [N, classes]
 * INDArray uncertainty = prediction.entropy();              // [N], in nats
 * INDArray epistemic = prediction.mutualInformation();      // [N], in nats
 * }</pre>
 */
public final class McDropout {

    /** How far a row's sum may be from 1 for it to count as a probability vector (float softmax rounds). */
    private static final double PROBABILITY_SUM_TOLERANCE = 1e-3;

    private McDropout() {
    }

    /**
     * Runs {@code samples} evaluation passes of {@code net} on {@code x} with every dropout layer of this library
     * active and summarises them; see the class description.
     *
     * @param net     an initialised network
     * @param x       the features, as {@code net.output(x)} takes them; not modified
     * @param samples number of stochastic passes {@code T}, at least 1
     * @throws IllegalArgumentException if {@code samples < 1}
     */
    public static Prediction predict(MultiLayerNetwork net, INDArray x, int samples) {
        checkSamples(samples);
        return sample(net.getLayers(), () -> net.output(x), samples);
    }

    /**
     * The same for a graph with one input and one output.
     *
     * @param net     an initialised graph with one input and one output
     * @param x       the features of its input, as {@code net.outputSingle(x)} takes them; not modified
     * @param samples number of stochastic passes {@code T}, at least 1
     * @throws IllegalArgumentException if {@code samples < 1} or the graph has several inputs or outputs
     */
    public static Prediction predict(ComputationGraph net, INDArray x, int samples) {
        checkSamples(samples);
        int inputs = net.getConfiguration().getNetworkInputs().size();
        int outputs = net.getConfiguration().getNetworkOutputs().size();
        if (inputs != 1 || outputs != 1) {
            throw new IllegalArgumentException("McDropout.predict takes a graph with one input and one output, this one"
                    + " has " + inputs + " inputs and " + outputs + " outputs");
        }
        return sample(net.getLayers(), () -> net.outputSingle(x), samples);
    }

    private static void checkSamples(int samples) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be at least 1, got " + samples);
        }
    }

    private static Prediction sample(Layer[] layers, Supplier<INDArray> evaluationPass, int samples) {
        List<DropoutRuntimeLayer> dropoutLayers = dropoutLayers(layers);
        dropoutLayers.forEach(layer -> layer.setSampling(true));
        try {
            Accumulator accumulator = new Accumulator();
            for (int t = 1; t <= samples; t++) {
                INDArray output = evaluationPass.get();
                accumulator.add(output, t);
                output.close();
            }
            return accumulator.prediction(samples);
        } finally {
            dropoutLayers.forEach(layer -> layer.setSampling(false));
        }
    }

    /** This library's runtime layers among {@code layers}, looking inside DL4J's wrappers (FrozenLayer, ...). */
    private static List<DropoutRuntimeLayer> dropoutLayers(Layer[] layers) {
        List<DropoutRuntimeLayer> found = new ArrayList<>();
        for (Layer layer : layers) {
            Layer inner = layer;
            while (inner instanceof BaseWrapperLayer wrapper) {
                inner = wrapper.getUnderlying();
            }
            if (inner instanceof DropoutRuntimeLayer dropout) {
                found.add(dropout);
            }
        }
        return found;
    }

    /** Welford's running mean and sum of squared deviations, plus the running mean of per-sample entropies. */
    private static final class Accumulator {
        private DataType outputType;
        private INDArray mean;
        private INDArray squaredDeviations;
        /** Mean over the samples of each example's entropy; {@code null} once a sample is not a probability matrix. */
        private INDArray meanSampleEntropy;
        private String notProbabilities;

        void add(INDArray output, int t) {
            INDArray y = output.castTo(DataType.DOUBLE);
            if (mean == null) {
                outputType = output.dataType();
                mean = Nd4j.zeros(DataType.DOUBLE, y.shape());
                squaredDeviations = Nd4j.zeros(DataType.DOUBLE, y.shape());
                notProbabilities = output.rank() == 2 ? null : "the output has shape " + Arrays.toString(output.shape())
                        + ", not [examples, classes]";
                if (notProbabilities == null) {
                    meanSampleEntropy = Nd4j.zeros(DataType.DOUBLE, y.size(0));
                }
            }
            INDArray delta = y.sub(mean);
            INDArray step = delta.div(t);
            mean.addi(step);
            INDArray deviation = y.sub(mean);
            squaredDeviations.addi(delta.muli(deviation));
            closeAll(delta, step, deviation);
            if (notProbabilities == null) {
                notProbabilities = checkProbabilities(y);
            }
            if (notProbabilities == null) {
                INDArray entropy = entropy(y);
                meanSampleEntropy.addi(entropy.subi(meanSampleEntropy).divi(t));
                entropy.close();
            } else {
                meanSampleEntropy = null;
            }
            if (y != output) {
                y.close();
            }
        }

        private static void closeAll(INDArray... arrays) {
            for (INDArray array : arrays) {
                array.close();
            }
        }

        Prediction prediction(int samples) {
            INDArray variance = squaredDeviations.divi(samples);
            INDArray entropy = null;
            INDArray mutualInformation = null;
            if (notProbabilities == null) {
                entropy = entropy(mean);
                // H(mean) >= mean of H(y_t) by concavity; clamp the rounding below 0.
                mutualInformation = Transforms.max(entropy.sub(meanSampleEntropy), 0.0, false);
            }
            return new Prediction(samples, mean.castTo(outputType), variance.castTo(outputType), entropy,
                    mutualInformation, notProbabilities);
        }

        /** Why {@code y} is not a matrix of probability rows, or {@code null} if it is one. */
        private static String checkProbabilities(INDArray y) {
            if (y.minNumber().doubleValue() < 0 || y.maxNumber().doubleValue() > 1) {
                return "the outputs are not probabilities: values outside [0, 1]";
            }
            INDArray rowSums = y.sum(1);
            double worst = Transforms.abs(rowSums.subi(1), false).maxNumber().doubleValue();
            rowSums.close();
            return worst <= PROBABILITY_SUM_TOLERANCE ? null
                    : "the output rows are not probability vectors: a row sums to 1 +- " + worst;
        }

        /** {@code -sum_c q_c ln q_c} per row, with {@code 0 ln 0 = 0}. */
        private static INDArray entropy(INDArray probabilities) {
            INDArray terms = Transforms.log(Transforms.max(probabilities, Double.MIN_NORMAL, true), false)
                    .muli(probabilities);
            INDArray entropy = terms.sum(1).negi();
            terms.close();
            return entropy;
        }
    }

    /**
     * The summary of {@code T} Monte Carlo passes; see {@link McDropout} for the formulas.
     */
    public static final class Prediction {
        private final int samples;
        private final INDArray mean;
        private final INDArray variance;
        private final INDArray entropy;
        private final INDArray mutualInformation;
        private final String notProbabilities;

        private Prediction(int samples, INDArray mean, INDArray variance, INDArray entropy,
                           INDArray mutualInformation, String notProbabilities) {
            this.samples = samples;
            this.mean = mean;
            this.variance = variance;
            this.entropy = entropy;
            this.mutualInformation = mutualInformation;
            this.notProbabilities = notProbabilities;
        }

        /** Number of passes {@code T}. */
        public int samples() {
            return samples;
        }

        /** The mean output over the passes: the predictive distribution; {@code net.output(x)}'s shape and type. */
        public INDArray mean() {
            return mean;
        }

        /** Population variance over the passes, per output element; exactly 0 where every pass gave the same value. */
        public INDArray variance() {
            return variance;
        }

        /**
         * Predictive entropy of {@link #mean()}, {@code -sum_c mean_c ln mean_c}, one value per example (double).
         *
         * @throws IllegalStateException unless every pass gave {@code [examples, classes]} rows that are probability
         *                               vectors (entries in [0, 1] summing to 1 within 1e-3), e.g. a softmax output
         */
        public INDArray entropy() {
            requireProbabilities("entropy");
            return entropy;
        }

        /**
         * Mutual information between the prediction and the model: {@link #entropy()} minus the mean of the passes'
         * own entropies, one value per example (double), at least 0: 0 where the passes agree, larger the more they
         * disagree.
         *
         * @throws IllegalStateException as {@link #entropy()}
         */
        public INDArray mutualInformation() {
            requireProbabilities("mutualInformation");
            return mutualInformation;
        }

        private void requireProbabilities(String what) {
            if (notProbabilities != null) {
                throw new IllegalStateException(what + "() needs classification outputs (rows of class probabilities, "
                        + "e.g. softmax), but " + notProbabilities);
            }
        }
    }
}
