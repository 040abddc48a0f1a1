package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dl4jtorch.dropout.DropoutChecks.DropoutFunction;
import io.github.dl4jtorch.dropout.DropoutOracle.Lane;
import io.github.dl4jtorch.dropout.DropoutOracle.Rule;
import io.github.dl4jtorch.dropout.GeneratedArray.Built;
import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import io.github.dl4jtorch.dropout.kernel.KernelPath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Properties of the six functional forms on generated inputs: rank 0 to 6 (zero-size axes included), float,
 * double, half and bfloat16, 'c' and 'f' parents, strided and permuted views, p over [0, 1] with both ends,
 * training and evaluation, in place and not; and of the kernel under them, whose two paths to array data agree.
 * See {@link PropertyCheck} for seeds and shrinking.
 */
class FunctionalPropertyTest {

    /** A functional form, with the spec's mask shapes and rank rules for it. */
    enum Form {
        DROPOUT("dropout", Functional::dropout, false),
        DROPOUT1D("dropout1d", Functional::dropout1d, false),
        DROPOUT2D("dropout2d", Functional::dropout2d, false),
        DROPOUT3D("dropout3d", Functional::dropout3d, false),
        ALPHA_DROPOUT("alphaDropout", Functional::alphaDropout, true),
        FEATURE_ALPHA_DROPOUT("featureAlphaDropout", Functional::featureAlphaDropout, true);

        private final String javaName;
        final DropoutFunction function;
        final boolean alpha;

        Form(String javaName, DropoutFunction function, boolean alpha) {
            this.javaName = javaName;
            this.function = function;
            this.alpha = alpha;
        }

        /** Whether masks are drawn per (example, channel) or per channel rather than per element. */
        boolean channelWise() {
            return this != DROPOUT && this != ALPHA_DROPOUT;
        }

        /**
         * The axes the mask varies along for input of {@code rank} (S20, S30, S40-S42, S50-S51, S64), {@code null}
         * for every axis; {@code null} too for ranks that draw no mask ({@link #refusal}).
         */
        int[] maskAxes(int rank) {
            if (refusal(rank, true) != null) {
                return null;
            }
            return switch (this) {
                case DROPOUT, ALPHA_DROPOUT -> null;
                case DROPOUT1D -> rank == 3 ? new int[] {0, 1} : new int[] {0};
                case DROPOUT2D, FEATURE_ALPHA_DROPOUT -> new int[] {0, 1};
                case DROPOUT3D -> rank == 5 ? new int[] {0, 1} : new int[] {0};
            };
        }

        /** The mask's shape for input of {@code shape}: 1 along the axes of {@code shape} it does not vary along. */
        long[] maskShape(long[] shape) {
            int[] axes = maskAxes(shape.length);
            return axes == null ? shape.clone() : DropoutOracle.keepAxes(shape, axes);
        }

        /**
         * PyTorch's error for input of {@code rank}, {@code null} if there is none; {@code masks}: the call draws a
         * mask (training, 0 < p < 1, elements). S31: dropout1d refuses other ranks always; S43, S51, S64: the
         * feature forms need 2 axes (dropout3d 1) to draw a mask.
         */
        String refusal(int rank, boolean masks) {
            return switch (this) {
                case DROPOUT, ALPHA_DROPOUT -> null;
                case DROPOUT1D -> rank == 2 || rank == 3 ? null : "dropout1d: Expected 2D or 3D input, but received a "
                        + rank + "D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                        + "spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
                        + "inputs).";
                case DROPOUT2D, FEATURE_ALPHA_DROPOUT -> masks && rank < 2 ? DropoutChecks.FEATURE_RANK_MESSAGE : null;
                case DROPOUT3D -> masks && rank < 1 ? DropoutChecks.FEATURE_RANK_MESSAGE : null;
            };
        }

        @Override
        public String toString() {
            return javaName;
        }
    }

    /** One call {@code form(x, p, training, inplace)} after {@code Nd4j.getRandom().setSeed(maskSeed)}. */
    record Call(Form form, GeneratedArray x, double p, boolean training, boolean inplace, long maskSeed)
            implements PropertyCheck.Shrinkable<Call> {

        static Call generate(SplittableRandom random) {
            Form form = Form.values()[random.nextInt(Form.values().length)];
            return new Call(form, GeneratedArray.generate(random, random.nextInt(7)), probability(random),
                    random.nextInt(5) != 0, random.nextBoolean(), random.nextLong());
        }

        /** p over [0, 1]: both ends, values that round badly, values next to the ends, and uniform ones. */
        static double probability(SplittableRandom random) {
            double[] chosen = {0.5, 0.2, 0.15, 0.1, 0.8, 1.0 / 3, -0.0, 1e-7, 0.999999, Math.nextDown(1.0)};
            return switch (random.nextInt(10)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2, 3 -> chosen[random.nextInt(chosen.length)];
                default -> random.nextDouble();
            };
        }

        /** Draws a mask: training with 0 < p < 1 on an array with elements. */
        boolean masks() {
            return drops() && p < 1;
        }

        /** Changes values: training with p > 0 on an array with elements (p = 1 included: x * 0). */
        boolean drops() {
            return training && p > 0 && !x.isEmpty();
        }

        String refusal() {
            return form.refusal(x.rank(), masks());
        }

        Rule rule() {
            return new Rule(x.type(), p, form.alpha);
        }

        Call withX(GeneratedArray newX) {
            return new Call(form, newX, p, training, inplace, maskSeed);
        }

        /** Runs the call on a fresh build of {@code x}. */
        Outcome run() {
            Built built = x.build();
            Nd4j.getRandom().setSeed(maskSeed);
            return new Outcome(this, built, form.function.apply(built.input(), p, training, inplace));
        }

        /**
         * The kernel's results for this call through {@code path}, {@code maskSeed} being the mask's key, as raw
         * bytes (NaN payloads and signed zeros included): the forward pass's output (in place: its input's whole
         * parent), then the backward pass's gradient for an epsilon of the input's values (in place: likewise).
         */
        List<byte[]> throughKernel(KernelPath path) {
            List<byte[]> results = new ArrayList<>();
            for (boolean forward : new boolean[] {true, false}) {
                Built built = x.build();
                INDArray in = built.input();
                INDArray out = inplace ? in : DropoutKernel.emptyLike(in);
                int[] axes = form.maskAxes(x.rank());
                INDArray written = forward ? path.forward(in, out, p, form.alpha, axes, maskSeed)
                        : path.backward(in, out, p, form.alpha, axes, maskSeed);
                results.add(GeneratedArray.rawBytes(inplace ? built.parent() : written));
            }
            return results;
        }

        @Override
        public List<Call> shrinks() {
            List<Call> simpler = new ArrayList<>();
            if (p != 0.5 && p != 0 && p != 1) {
                simpler.add(new Call(form, x, 0.5, training, inplace, maskSeed));
            }
            if (inplace) {
                simpler.add(new Call(form, x, p, training, false, maskSeed));
            }
            for (GeneratedArray smaller : x.shrinks()) {
                simpler.add(withX(smaller));
            }
            return simpler;
        }

        @Override
        public String toString() {
            return form + "(x, p=" + p + ", training=" + training + ", inplace=" + inplace + ") after setSeed("
                    + maskSeed + "), x: " + x;
        }
    }

    /** What a call did: its input (with its parent and their state before the call) and its output. */
    record Outcome(Call call, Built built, INDArray out) {

        /**
         * Asserts {@code out} is a dropout of the input by the call's rule with a mask of {@code maskShape}, and
         * returns the mask's lanes.
         */
        Lane[] assertDropoutWithMask(long[] maskShape) {
            return DropoutOracle.lanes(built.inputValues(), rowMajorDouble(out), call.x().shape(), maskShape, null,
                    call.rule().forward());
        }

        /** As {@link #assertDropoutWithMask}, with the spec's mask shape for the call's form. */
        Lane[] assertDropoutWithTheFormsMask() {
            return assertDropoutWithMask(call.form().maskShape(call.x().shape()));
        }
    }

    private static final Predicate<Call> ACCEPTED = c -> c.refusal() == null;

    @Test
    void S13_outputKeepsTheShapeAndType() {
        PropertyCheck.forAll("output keeps the input's shape and type", 200, Call::generate, ACCEPTED, call -> {
            Outcome outcome = call.run();
            assertArrayEquals(call.x().shape(), outcome.out().shape(), "shape");
            assertEquals(call.x().type(), outcome.out().dataType(), "type");
        });
    }

    @Test
    void S10_evaluationIsTheIdentity() {
        Predicate<Call> identity = ACCEPTED.and(c -> !c.drops());
        PropertyCheck.forAll("evaluation (and p = 0, and empty input) returns the input itself, unchanged", 150,
                Call::generate, identity, call -> {
                    Outcome outcome = call.run();
                    assertSame(outcome.built().input(), outcome.out(), "not the input itself");
                    outcome.built().assertParentUnchanged();
                });
    }

    @Test
    void S11_S12_S61_everyElementIsDroppedOrScaledExactly() {
        Predicate<Call> drops = ACCEPTED.and(Call::drops);
        PropertyCheck.forAll("every element is x * 0 or exactly x * scale (alpha: its affine pair)", 300,
                Call::generate, drops, call -> call.run().assertDropoutWithMask(call.x().shape()));
    }

    @Test
    void S30_S40_S50_S64_channelFormsDropWholeChannels() {
        Predicate<Call> channelMasks = ACCEPTED.and(Call::masks).and(c -> c.form().channelWise());
        PropertyCheck.forAll("the channel forms keep or drop each (example, channel) as a whole", 150,
                Call::generate, channelMasks, call -> call.run().assertDropoutWithTheFormsMask());
    }

    /**
     * A batched channel form's mask varies along the batch axis. The inputs have N and C of 8 to 12 and p in
     * [1/3, 2/3]: each of the N x C lanes is kept independently with probability q in [1/3, 2/3], and the check
     * fails only if, for every channel, all N examples agree: at most ((2/3)^8 + (1/3)^8)^8 < 6e-12 per case,
     * below 1e-9 for the whole property. (A lane all of whose elements are 0 tells nothing; the inputs are
     * Gaussian, so that has probability 0 but for rounding in half precision.)
     */
    @Test
    void S30_S40_S50_S64_channelMasksVaryAlongTheBatch() {
        Predicate<Call> batched = c -> c.refusal() == null && c.masks() && c.p() >= 1.0 / 3 && c.p() <= 2.0 / 3
                && !c.x().specials() && c.form().channelWise() && c.x().shape()[0] >= 8 && c.x().shape()[1] >= 8
                && (c.form() != Form.DROPOUT1D || c.x().rank() == 3)
                && (c.form() != Form.DROPOUT3D || c.x().rank() == 5);
        PropertyCheck.forAll("channel masks vary along the batch axis", 100, r -> {
            Form form = List.of(Form.DROPOUT1D, Form.DROPOUT2D, Form.DROPOUT3D, Form.FEATURE_ALPHA_DROPOUT)
                    .get(r.nextInt(4));
            int rank = switch (form) {
                case DROPOUT1D -> 3;
                case DROPOUT3D -> 5;
                default -> 2 + r.nextInt(5);
            };
            long[] shape = new long[rank];
            shape[0] = 8 + r.nextInt(5);
            shape[1] = 8 + r.nextInt(5);
            for (int axis = 2; axis < rank; axis++) {
                shape[axis] = 1 + r.nextInt(3);
            }
            return new Call(form, GeneratedArray.generate(r, shape).withSpecials(false), 1.0 / 3 + r.nextDouble() / 3,
                    true, r.nextBoolean(), r.nextLong());
        }, batched, call -> {
            long[] maskShape = call.form().maskShape(call.x().shape());
            Lane[] lanes = call.run().assertDropoutWithMask(maskShape);
            int examples = (int) maskShape[0];
            int perExample = lanes.length / examples;
            for (int column = 0; column < perExample; column++) {
                EnumSet<Lane> seen = EnumSet.noneOf(Lane.class);
                for (int n = 0; n < examples; n++) {
                    seen.add(lanes[n * perExample + column]);
                }
                if (seen.contains(Lane.KEPT) && seen.contains(Lane.DROPPED)) {
                    return;
                }
            }
            fail("no channel's mask varies along the batch axis; mask " + Arrays.toString(maskShape) + ": "
                    + Arrays.toString(lanes));
        });
    }

    @Test
    void S15_notInPlaceLeavesTheInputUnchanged() {
        Predicate<Call> copying = ACCEPTED.and(c -> !c.inplace());
        PropertyCheck.forAll("inplace=false leaves the input (and its parent) bit for bit unchanged", 200,
                Call::generate, copying, call -> {
                    Outcome outcome = call.run();
                    outcome.built().assertParentUnchanged();
                    if (call.drops()) {
                        assertNotSame(outcome.built().input(), outcome.out(), "training returned the input itself");
                    }
                });
    }

    @Test
    void S15_inPlaceWritesExactlyTheInput() {
        Predicate<Call> inPlace = ACCEPTED.and(c -> c.inplace() && c.drops());
        PropertyCheck.forAll("inplace=true writes the input's elements, and nothing else of its parent", 200,
                Call::generate, inPlace, call -> {
                    Outcome outcome = call.run();
                    assertSame(outcome.built().input(), outcome.out(), "in place must return the input itself");
                    outcome.built().assertParentUnchangedOutsideTheInput();
                    outcome.assertDropoutWithTheFormsMask();
                });
    }

    @Test
    void S31_S43_refusedRanksThrowAndChangeNothing() {
        Predicate<Call> refused = c -> c.refusal() != null;
        PropertyCheck.forAll("a rank the form refuses throws PyTorch's message and changes nothing", 80,
                Call::generate, refused, call -> {
                    Built built = call.x().build();
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> call.form().function.apply(built.input(), call.p(), call.training(), call.inplace()));
                    assertEquals(call.refusal(), e.getMessage());
                    built.assertParentUnchanged();
                });
    }

    /**
     * The kernel's two paths to array data, host pointers (the CPU backend's) and ND4J ops alone (every other
     * backend's), write the same bits forward and backward, in place and not, for every form's mask.
     */
    @Test
    void hostAndNd4jOpsPathsWriteTheSameBits() {
        Predicate<Call> masks = ACCEPTED.and(Call::masks);
        PropertyCheck.forAll("the kernel's host and ND4J-ops paths write the same bits", 150, Call::generate, masks,
                call -> {
                    List<byte[]> host = call.throughKernel(KernelPath.HOST);
                    List<byte[]> nd4jOps = call.throughKernel(KernelPath.ND4J_OPS);
                    assertArrayEquals(host.get(0), nd4jOps.get(0), "forward");
                    assertArrayEquals(host.get(1), nd4jOps.get(1), "backward");
                });
    }

    /** A view of a fresh parent: what {@link #inPlaceOnViewsEqualsDropoutOfADenseCopy} drops in place. */
    record ViewCase(String name, Form form, DataType type, long[] parentShape, char order,
                    Function<INDArray, INDArray> view) {
        @Override
        public String toString() {
            return form + " on " + name + " (" + type + ")";
        }
    }

    static List<ViewCase> viewCases() {
        return List.of(
                new ViewCase("a transposed matrix", Form.DROPOUT, DataType.FLOAT, new long[] {8, 6}, 'c',
                        INDArray::transpose),
                new ViewCase("every other row", Form.ALPHA_DROPOUT, DataType.DOUBLE, new long[] {10, 7}, 'c',
                        a -> a.get(NDArrayIndex.interval(0, 2, 10), NDArrayIndex.all())),
                new ViewCase("NWC permuted to NCW", Form.DROPOUT1D, DataType.HALF, new long[] {4, 5, 6}, 'c',
                        a -> a.permute(0, 2, 1)),
                new ViewCase("a strided NHWC batch permuted to NCHW", Form.DROPOUT2D, DataType.FLOAT,
                        new long[] {6, 4, 5, 3}, 'c',
                        a -> a.get(NDArrayIndex.interval(1, 2, 6), NDArrayIndex.all(), NDArrayIndex.interval(0, 4),
                                NDArrayIndex.all()).permute(0, 3, 1, 2)),
                new ViewCase("a strided 5-D block", Form.DROPOUT3D, DataType.BFLOAT16, new long[] {4, 3, 4, 2, 3}, 'f',
                        a -> a.get(NDArrayIndex.interval(1, 2, 4), NDArrayIndex.all(), NDArrayIndex.interval(0, 2, 4),
                                NDArrayIndex.all(), NDArrayIndex.interval(1, 3))),
                new ViewCase("a reversed-axes 'f' array", Form.FEATURE_ALPHA_DROPOUT, DataType.FLOAT,
                        new long[] {6, 4, 5}, 'f', a -> a.permute(2, 1, 0)));
    }

    /**
     * In place on strided and transposed views: the call returns the view, writes exactly the dropout its dense
     * copy gets from the same seed (masks follow the logical index, not the memory layout), and leaves the rest
     * of the parent alone.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("viewCases")
    void inPlaceOnViewsEqualsDropoutOfADenseCopy(ViewCase c) {
        INDArray parent = IntegrationNets.randn(7, c.type(), c.parentShape()).dup(c.order());
        Built built = new Built(parent, c.view().apply(parent));
        INDArray view = built.input();
        Nd4j.getRandom().setSeed(99);
        INDArray copied = c.form().function.apply(view.dup(), 0.5, true, false);
        Nd4j.getRandom().setSeed(99);
        assertSame(view, c.form().function.apply(view, 0.5, true, true));
        DropoutChecks.assertSameBits(copied, view, c.toString());
        assertFalse(Arrays.equals(built.parentBefore(), GeneratedArray.rawBytes(parent)),
                "the view must alias its parent");
        built.assertParentUnchangedOutsideTheInput();
        DropoutOracle.lanes(built.inputValues(), rowMajorDouble(view), view.shape(), c.form().maskShape(view.shape()),
                null, new Rule(c.type(), 0.5, c.form().alpha).forward());
    }
}
