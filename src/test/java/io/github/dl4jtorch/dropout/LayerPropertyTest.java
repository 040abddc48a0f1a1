package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dl4jtorch.dropout.DropoutOracle.Lane;
import io.github.dl4jtorch.dropout.DropoutOracle.Rule;
import io.github.dl4jtorch.dropout.GeneratedArray.Built;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.layers.Convolution3D;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Properties of the six layers' runtime forward and backward passes, on generated activations: each layer in
 * each of its channel layouts, ranks 2 to 6 where the layer takes any (DL4J's activations have a batch axis),
 * the four floating types, dense and view inputs, p over [0, 1], training and evaluation, the {@code inplace}
 * flag with and without DL4J's permission to modify the input. See {@link PropertyCheck} for seeds and
 * shrinking.
 */
class LayerPropertyTest {

    private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();

    /**
     * A layer in one layout: its configuration from (p, inplace), the rank it takes (0: any of 2 to 6) and its
     * channel axis (-1: element-wise mask).
     */
    record Kind(String name, int rank, int channelAxis, boolean alpha,
                BiFunction<Double, Boolean, AbstractDropout> config) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Kind> KINDS = List.of(
            new Kind("Dropout", 0, -1, false, Dropout::new),
            new Kind("AlphaDropout", 0, -1, true, AlphaDropout::new),
            new Kind("Dropout1d NCW", 3, 1, false,
                    (p, inplace) -> new Dropout1d.Builder().p(p).inplace(inplace).dataFormat(RNNFormat.NCW).build()),
            new Kind("Dropout1d NWC", 3, 2, false,
                    (p, inplace) -> new Dropout1d.Builder().p(p).inplace(inplace).dataFormat(RNNFormat.NWC).build()),
            new Kind("Dropout2d NCHW", 4, 1, false,
                    (p, inplace) -> new Dropout2d.Builder().p(p).inplace(inplace).dataFormat(CNN2DFormat.NCHW).build()),
            new Kind("Dropout2d NHWC", 4, 3, false,
                    (p, inplace) -> new Dropout2d.Builder().p(p).inplace(inplace).dataFormat(CNN2DFormat.NHWC).build()),
            new Kind("Dropout3d NCDHW", 5, 1, false, (p, inplace) -> new Dropout3d.Builder().p(p).inplace(inplace)
                    .dataFormat(Convolution3D.DataFormat.NCDHW).build()),
            new Kind("Dropout3d NDHWC", 5, 4, false, (p, inplace) -> new Dropout3d.Builder().p(p).inplace(inplace)
                    .dataFormat(Convolution3D.DataFormat.NDHWC).build()),
            new Kind("FeatureAlphaDropout", 0, 1, true, FeatureAlphaDropout::new),
            new Kind("FeatureAlphaDropout NWC", 3, 2, true, (p, inplace) -> new FeatureAlphaDropout.Builder().p(p)
                    .inplace(inplace).dataFormat(RNNFormat.NWC).build()),
            new Kind("FeatureAlphaDropout NHWC", 4, 3, true, (p, inplace) -> new FeatureAlphaDropout.Builder().p(p)
                    .inplace(inplace).dataFormat(CNN2DFormat.NHWC).build()),
            new Kind("FeatureAlphaDropout NDHWC", 5, 4, true, (p, inplace) -> new FeatureAlphaDropout.Builder().p(p)
                    .inplace(inplace).dataFormat(Convolution3D.DataFormat.NDHWC).build()));

    /**
     * One forward pass {@code activate(training)} after {@code Nd4j.getRandom().setSeed(maskSeed)}, DL4J's
     * permission to modify the input given or not, then one backward pass with an epsilon from
     * {@code gradientSeed}.
     */
    record Pass(Kind kind, GeneratedArray x, double p, boolean training, boolean inplace, boolean modificationAllowed,
                long maskSeed, long gradientSeed) implements PropertyCheck.Shrinkable<Pass> {

        static Pass generate(SplittableRandom random) {
            Kind kind = KINDS.get(random.nextInt(KINDS.size()));
            int rank = kind.rank() != 0 ? kind.rank() : 2 + random.nextInt(5);
            return new Pass(kind, GeneratedArray.generate(random, rank),
                    FunctionalPropertyTest.Call.probability(random), random.nextInt(5) != 0, random.nextBoolean(),
                    random.nextBoolean(), random.nextLong(), random.nextLong());
        }

        /** Changes values: training with p > 0 on an array with elements. */
        boolean drops() {
            return training && p > 0 && !x.isEmpty();
        }

        /** Writes into its input: {@code inplace}, DL4J's permission, and values to change. */
        boolean writesInPlace() {
            return drops() && inplace && modificationAllowed;
        }

        /** A shape the layer takes: its rank, or 2 to 6 for the layers that take any. */
        boolean takes() {
            return kind.rank() == 0 ? x.rank() >= 2 : x.rank() == kind.rank();
        }

        long[] maskShape() {
            long[] shape = x.shape();
            return kind.channelAxis() < 0 ? shape.clone() : DropoutOracle.keepAxes(shape, 0, kind.channelAxis());
        }

        Rule rule() {
            return new Rule(x.type(), p, kind.alpha());
        }

        Result run() {
            Built built = x.build();
            Layer layer = instantiate(kind.config().apply(p, inplace), x.type());
            layer.setInput(built.input(), NO_WORKSPACES);
            layer.allowInputModification(modificationAllowed);
            Nd4j.getRandom().setSeed(maskSeed);
            INDArray out = layer.activate(training, NO_WORKSPACES);
            double[] outValues = rowMajorDouble(out);
            Built epsilon = GeneratedArray.dense(x.shape(), x.type(), built.input().ordering(), gradientSeed).build();
            INDArray gradient = layer.backpropGradient(epsilon.input(), NO_WORKSPACES).getSecond();
            return new Result(built, out, outValues, epsilon, gradient);
        }

        @Override
        public List<Pass> shrinks() {
            List<Pass> simpler = new ArrayList<>();
            if (p != 0.5 && p != 0 && p != 1) {
                simpler.add(new Pass(kind, x, 0.5, training, inplace, modificationAllowed, maskSeed, gradientSeed));
            }
            if (inplace) {
                simpler.add(new Pass(kind, x, p, training, false, modificationAllowed, maskSeed, gradientSeed));
            }
            if (modificationAllowed) {
                simpler.add(new Pass(kind, x, p, training, inplace, false, maskSeed, gradientSeed));
            }
            for (GeneratedArray smaller : x.shrinks()) {
                simpler.add(new Pass(kind, smaller, p, training, inplace, modificationAllowed, maskSeed, gradientSeed));
            }
            return simpler;
        }

        @Override
        public String toString() {
            return kind + "(p=" + p + ", inplace=" + inplace + ") activate(training=" + training + ") after setSeed("
                    + maskSeed + "), input modification " + (modificationAllowed ? "allowed" : "not allowed")
                    + ", then backprop of an epsilon of seed " + gradientSeed + "; input: " + x;
        }
    }

    /**
     * What a pass did: its input (with its parent and their state when built), its output and the output's
     * values right after the forward pass, the epsilon (with its state when built) and the gradient.
     */
    record Result(Built input, INDArray out, double[] outValues, Built epsilon, INDArray gradient) {
    }

    /** The runtime layer of {@code config} outside any network, for a network of {@code type}. */
    static Layer instantiate(AbstractDropout config, DataType type) {
        NeuralNetConfiguration conf = new NeuralNetConfiguration.Builder().layer(config).build();
        return conf.getLayer().instantiate(conf, List.of(), 0, null, false, type);
    }

    @Test
    void S12_S71_S72_trainingDropsWholeLanesExactlyAndWritesInPlaceOnlyWhenAllowed() {
        Predicate<Pass> drops = p -> p.takes() && p.drops();
        PropertyCheck.forAll("layer forward in training: a dropout of the input with the layout's mask, written in "
                + "place exactly when inplace and allowed", 250, Pass::generate, drops, pass -> {
                    Result result = pass.run();
                    assertArrayEquals(pass.x().shape(), result.out().shape(), "shape");
                    assertEquals(pass.x().type(), result.out().dataType(), "type");
                    DropoutOracle.lanes(result.input().inputValues(), result.outValues(), pass.x().shape(),
                            pass.maskShape(), null, pass.rule().forward());
                    if (pass.writesInPlace()) {
                        assertBitsEqual(result.outValues(), rowMajorDouble(result.input().input()),
                                "in place: the input must hold the output");
                        result.input().assertParentUnchangedOutsideTheInput();
                    } else {
                        result.input().assertParentUnchanged();
                    }
                });
    }

    @Test
    void S70_evaluationIsTheIdentity() {
        Predicate<Pass> identity = p -> p.takes() && !p.drops();
        PropertyCheck.forAll("layer forward in evaluation (and at p = 0, and on empty input) is the identity", 120,
                Pass::generate, identity, pass -> {
                    Result result = pass.run();
                    assertBitsEqual(result.input().inputValues(), result.outValues(), "output");
                    result.input().assertParentUnchanged();
                });
    }

    @Test
    void S16_S63_backwardUsesTheForwardMask() {
        Predicate<Pass> any = Pass::takes;
        PropertyCheck.forAll("layer backward: the epsilon times the forward pass's mask and scale", 250,
                Pass::generate, any, pass -> {
                    Result result = pass.run();
                    double[] dy = result.epsilon().inputValues();
                    double[] dx = rowMajorDouble(result.gradient());
                    assertArrayEquals(pass.x().shape(), result.gradient().shape(), "gradient shape");
                    if (pass.drops()) {
                        long[] shape = pass.x().shape();
                        Lane[] forward = DropoutOracle.lanes(result.input().inputValues(), result.outValues(), shape,
                                pass.maskShape(), null, pass.rule().forward());
                        DropoutOracle.lanes(dy, dx, shape, pass.maskShape(), forward, pass.rule().backward());
                    } else {
                        assertBitsEqual(dy, dx, "gradient of the identity");
                    }
                    result.epsilon().assertParentUnchanged();
                });
    }

    private static void assertBitsEqual(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (!DropoutOracle.same(expected[i], actual[i])) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }
}
