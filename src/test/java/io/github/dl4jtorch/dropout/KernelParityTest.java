package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.FEATURE_RANK_MESSAGE;
import static io.github.dl4jtorch.dropout.DropoutChecks.VARIANTS;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFailsWith;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFloatBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertMixed;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertVariesAlong;
import static io.github.dl4jtorch.dropout.DropoutChecks.cycling;
import static io.github.dl4jtorch.dropout.DropoutChecks.maskOf;
import static io.github.dl4jtorch.dropout.DropoutChecks.positive;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static io.github.dl4jtorch.dropout.DropoutChecks.sameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.snapshot;
import static io.github.dl4jtorch.dropout.DropoutChecks.toBfloat16;
import static io.github.dl4jtorch.dropout.DropoutChecks.toHalf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.dl4jtorch.dropout.DropoutChecks.Variant;
import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Spec items S10–S21: the shared kernel's shortcuts, scale, shape, randomness, in-place mode and backward, and
 * the element-wise {@code Dropout}.
 *
 * <p>Probabilistic assertions (a p = 0.5 mask being neither all kept nor all dropped, or two masks differing)
 * fail falsely with probability at most 2^-23 (1.2e-7) each; each one states its own bound.
 */
class KernelParityTest {

    /** Finite, signed-zero, subnormal, huge, NaN and infinite values: what x * 0 and x * scale treat specially. */
    private static final float[] SPECIAL = {1.5f, -2.25f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MIN_VALUE, 3e-39f, -7f, 1e30f};

    private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();

    @Test
    void S10_identityReturnsTheInputItself() {
        for (Variant v : VARIANTS) {
            for (boolean inplace : new boolean[] {false, true}) {
                INDArray x = positive(v.shape());
                assertSame(x, v.apply(x, 0.0, true, inplace), v + " at p=0");
                assertSame(x, v.apply(x, 0.5, false, inplace), v + " in eval");
                assertSame(x, v.apply(x, 1.0, false, inplace), v + " in eval at p=1");
                assertSameBits(positive(v.shape()), x, v + ": the input itself, unmodified");
                long[] emptyShape = v.shape().clone();
                emptyShape[0] = 0;
                for (double p : new double[] {0.5, 1.0}) {
                    INDArray empty = Nd4j.create(DataType.FLOAT, emptyShape);
                    assertTrue(empty.isEmpty());
                    assertSame(empty, v.apply(empty, p, true, inplace), v + " on empty input at p=" + p);
                }
            }
        }
    }

    @Test
    void S11_pOneGivesInputTimesZeroWithoutDrawing() {
        for (Variant v : VARIANTS) {
            INDArray x = cycling(SPECIAL, v.shape());
            float[] in = rowMajor(x);
            float[] expected = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                expected[i] = in[i] * 0f; // Java's IEEE product: 0, -0.0 for negatives, NaN for NaN and +-Inf
            }
            assertEquals(0x80000000, Float.floatToRawIntBits(-2.25f * 0f), "the oracle itself gives -0.0");
            assertTrue(Float.isNaN(Float.POSITIVE_INFINITY * 0f), "the oracle itself gives NaN for Inf");

            Nd4j.getRandom().setSeed(77);
            INDArray y = v.apply(x, 1.0, true, false);
            long nextAfterCall = Nd4j.getRandom().nextLong();
            Nd4j.getRandom().setSeed(77);
            long nextWithoutCall = Nd4j.getRandom().nextLong();
            assertEquals(nextWithoutCall, nextAfterCall, v + " at p=1 draws no random numbers");

            assertNotSame(x, y);
            assertFloatBits(expected, rowMajor(y), v + " at p=1");
            assertFloatBits(in, rowMajor(x), v + " at p=1 not in place leaves the input alone");

            INDArray inPlace = x.dup();
            assertSame(inPlace, v.apply(inPlace, 1.0, true, true), v + " at p=1 in place returns its input");
            assertFloatBits(expected, rowMajor(inPlace), v + " at p=1 in place: input *= 0");

            // The control: at 0<p<1 the same check does see the generator move, so the check above can fail.
            Nd4j.getRandom().setSeed(77);
            v.apply(x, 0.5, true, false);
            assertNotEquals(nextWithoutCall, Nd4j.getRandom().nextLong(), v + " at p=0.5 draws");
        }
    }

    @Test
    void S12_float32ScaleIsBitExact() {
        // The spec's example: at p=0.15 the float32 scale is 1f / (float) 0.85 = 0x3F969696, one ulp below the
        // double quotient rounded to float.
        assertEquals(0x3F969696, Float.floatToRawIntBits(1f / (float) (1 - 0.15)));
        assertEquals(0x3F969697, Float.floatToRawIntBits((float) (1 / (1 - 0.15))));
        INDArray ones = Nd4j.ones(DataType.FLOAT, 3000);
        float[] y = rowMajor(Functional.dropout(ones, 0.15, true, false));
        int kept = 0;
        for (float value : y) {
            if (value != 0) {
                kept++;
                assertEquals(0x3F969696, Float.floatToRawIntBits(value), "kept 1 at p=0.15");
            }
        }
        // P(no lane kept among 3000 at p=0.15) = 0.15^3000: nil.
        assertTrue(kept > 0);

        // Every standard variant, many p: each element is x * scale (kept) or x * 0 (dropped), bit for bit, in
        // whole mask lanes. Each form gets 3000 elements (100 examples); the channel forms' masks have only 600
        // lanes, where at p = 0.01 or 0.99 all lanes alike has probability 0.99^600 = 2.4e-3, so the "both
        // outcomes occur" check is made on the element-wise form only (bound below).
        double[] ps = {0.01, 0.1, 0.15, 0.2, 1.0 / 3, 0.5, 0.7, 0.9, 0.99};
        for (double p : ps) {
            float scale = 1f / (float) (1 - p);
            for (Variant v : VARIANTS) {
                if (v.alpha()) {
                    continue;
                }
                long[] shape = v.shape().clone();
                shape[0] = 100;
                INDArray x = cycling(SPECIAL, shape);
                float[] in = rowMajor(x);
                float[] out = rowMajor(v.apply(x, p, true, false));
                boolean[] keptElement = new boolean[in.length];
                for (int i = 0; i < in.length; i++) {
                    boolean isKept = sameBits(in[i] * scale, out[i]);
                    boolean isDropped = sameBits(in[i] * 0f, out[i]);
                    assertTrue(isKept || isDropped, v + " p=" + p + " element " + i + ": " + in[i] + " -> " + out[i]);
                    // Lanes where kept and dropped look alike (0, NaN) cannot tell; take the other elements.
                    keptElement[i] = isKept && !isDropped;
                }
                long[] maskShape = v.maskShape().clone();
                maskShape[0] = 100;
                float[] classified = new float[in.length];
                for (int i = 0; i < in.length; i++) {
                    boolean ambiguous = sameBits(in[i] * scale, in[i] * 0f);
                    classified[i] = ambiguous ? Float.NaN : keptElement[i] ? 1 : 0;
                }
                checkWholeLanes(classified, shape, maskShape, v + " p=" + p);
                if (v.name().equals("dropout")) {
                    int k = 0;
                    int unambiguous = 0;
                    for (int i = 0; i < in.length; i++) {
                        k += keptElement[i] ? 1 : 0;
                        unambiguous += Float.isNaN(classified[i]) ? 0 : 1;
                    }
                    // 3000 elements, 2250 of them unambiguous (not 0, -0 or NaN): all alike has probability
                    // 2 * max(p, 1-p)^2250 <= 2 * 0.99^2250 = 3e-10.
                    assertEquals(2250, unambiguous);
                    assertTrue(k > 0 && k < unambiguous, "dropout p=" + p + ": " + k + " of 2250 kept");
                }
            }
        }

        // Dropped lanes are x * 0: across 3000 elements at p=0.5 every special value is dropped somewhere
        // (each occurs 250 times: never dropped has probability 2^-250).
        INDArray x = cycling(SPECIAL, 3000);
        float[] in = rowMajor(x);
        float[] out = rowMajor(Functional.dropout(x, 0.5, true, false));
        boolean negativeToMinusZero = false;
        boolean infinityToNaN = false;
        boolean minusInfinityToNaN = false;
        boolean nanStaysNaN = false;
        for (int i = 0; i < in.length; i++) {
            negativeToMinusZero |= in[i] == -2.25f && Float.floatToRawIntBits(out[i]) == 0x80000000;
            infinityToNaN |= in[i] == Float.POSITIVE_INFINITY && Float.isNaN(out[i]);
            minusInfinityToNaN |= in[i] == Float.NEGATIVE_INFINITY && Float.isNaN(out[i]);
            nanStaysNaN |= Float.isNaN(in[i]) && Float.isNaN(out[i]);
            if (Float.isNaN(in[i])) {
                assertTrue(Float.isNaN(out[i]), "NaN kept or dropped is NaN");
            }
        }
        assertTrue(negativeToMinusZero && infinityToNaN && minusInfinityToNaN && nanStaysNaN,
                "dropped -2.25 -> -0.0, +-Inf -> NaN, NaN -> NaN");
    }

    /** Every element not NaN in {@code classified} (1 kept, 0 dropped) agrees with its mask lane. */
    private static void checkWholeLanes(float[] classified, long[] shape, long[] maskShape, String what) {
        float[] laneState = new float[(int) Arrays.stream(maskShape).reduce(1, (a, b) -> a * b)];
        Arrays.fill(laneState, Float.NaN);
        for (int i = 0; i < classified.length; i++) {
            if (Float.isNaN(classified[i])) {
                continue;
            }
            int lane = laneOf(i, shape, maskShape);
            if (Float.isNaN(laneState[lane])) {
                laneState[lane] = classified[i];
            } else if (laneState[lane] != classified[i]) {
                fail(what + ": element " + i + " disagrees with its mask lane " + lane);
            }
        }
    }

    private static int laneOf(long index, long[] shape, long[] maskShape) {
        long[] coordinate = new long[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            coordinate[axis] = index % shape[axis];
            index /= shape[axis];
        }
        long lane = 0;
        for (int axis = 0; axis < shape.length; axis++) {
            lane = lane * maskShape[axis] + (maskShape[axis] == 1 ? 0 : coordinate[axis]);
        }
        return (int) lane;
    }

    @Test
    void S12_otherTypesComputeTheScaleInTheirOwnPrecision() {
        double[] ps = {0.15, 0.3, 0.5, 0.9};
        for (double p : ps) {
            float floatScale = 1f / (float) (1 - p);
            checkScaleInType(DataType.DOUBLE, p, v -> v * (1.0 / (1 - p)));
            checkScaleInType(DataType.HALF, p, v -> toHalf(v * toHalf(floatScale)));
            checkScaleInType(DataType.BFLOAT16, p, v -> toBfloat16(v * toBfloat16(floatScale)));
        }
        // The oracle's rounding itself: 1f/0.85f = 1.17647052 -> half 1.1767578 (1205/1024), bf16 1.1796875.
        assertEquals(1205.0 / 1024, toHalf(1f / (float) 0.85), 0);
        assertEquals(151.0 / 128, toBfloat16(1f / (float) 0.85), 0);
    }

    /**
     * Element-wise dropout of k/8 (k = -100..100, exact in every type) in {@code type}: each kept element is
     * {@code keptValue(x)}, each dropped one x * 0, and both occur (3000 elements: all alike has probability
     * 0.9^3000 at worst: nil).
     */
    private static void checkScaleInType(DataType type, double p, DoubleUnaryOperator keptValue) {
        double[] values = new double[3000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 201 - 100) / 8.0;
        }
        INDArray x = Nd4j.create(values, new long[] {3000}, DataType.DOUBLE).castTo(type);
        INDArray y = Functional.dropout(x, p, true, false);
        assertEquals(type, y.dataType());
        double[] out = rowMajorDouble(y);
        int kept = 0;
        int dropped = 0;
        for (int i = 0; i < values.length; i++) {
            double expectedKept = keptValue.applyAsDouble(values[i]);
            double expectedDropped = values[i] * 0.0;
            boolean isKept = Double.doubleToRawLongBits(out[i]) == Double.doubleToRawLongBits(expectedKept);
            boolean isDropped = Double.doubleToRawLongBits(out[i]) == Double.doubleToRawLongBits(expectedDropped);
            assertTrue(isKept || isDropped, type + " p=" + p + ": " + values[i] + " -> " + out[i] + ", expected "
                    + expectedKept + " or " + expectedDropped);
            if (values[i] != 0) {
                kept += isKept ? 1 : 0;
                dropped += isDropped ? 1 : 0;
            }
        }
        assertTrue(kept > 0 && dropped > 0, type + " p=" + p + ": kept " + kept + ", dropped " + dropped);
    }

    @Test
    void S13_shapeTypeAndOrderingAreKept() {
        for (Variant v : VARIANTS) {
            for (char order : new char[] {'c', 'f'}) {
                for (double p : new double[] {0.5, 1.0}) {
                    for (boolean inplace : new boolean[] {false, true}) {
                        INDArray x = positive(DataType.FLOAT, order, v.shape());
                        INDArray y = v.apply(x, p, true, inplace);
                        String what = v + " order " + order + " p=" + p + " inplace=" + inplace;
                        assertArrayEquals(v.shape(), y.shape(), what);
                        assertEquals(order, y.ordering(), what);
                        assertArrayEquals(x.stride(), y.stride(), what + ": strides kept, as PyTorch's empty_like");
                        assertEquals(DataType.FLOAT, y.dataType(), what);
                    }
                }
                INDArray d = positive(DataType.DOUBLE, order, v.shape());
                assertEquals(DataType.DOUBLE, v.apply(d, 0.5, true, false).dataType());
            }
            // A strided view (every other example of a bigger array) keeps its shape too, and its values are
            // those of the view: x * 2 or 0 for plain dropout (alpha: checked in AlphaParityTest).
            long[] bigShape = v.shape().clone();
            bigShape[0] *= 2;
            INDArray view = positive(bigShape).get(NDArrayIndex.interval(0, 2, bigShape[0]));
            assertArrayEquals(v.shape(), view.shape());
            INDArray y = v.apply(view, 0.5, true, false);
            assertArrayEquals(v.shape(), y.shape(), v + " on a view");
            if (!v.alpha()) {
                float[] in = rowMajor(view);
                float[] out = rowMajor(y);
                for (int i = 0; i < in.length; i++) {
                    assertTrue(out[i] == 0 || out[i] == 2 * in[i], v + " on a view, element " + i);
                }
                maskOf(y, v.maskShape());
            }
        }
    }

    @Test
    void S14_seedReproducesTheMaskAndEachCallDrawsAFreshOne() {
        // Masks here have 24 (4x6) to 120 lanes at p=0.5; two independent ones are equal with probability
        // 2^-24 = 6e-8 at most (the three comparisons below: < 2e-7 in all).
        for (Variant v : VARIANTS) {
            INDArray x = positive(v.shape());
            Nd4j.getRandom().setSeed(20240611);
            INDArray first = v.apply(x, 0.5, true, false);
            INDArray second = v.apply(x, 0.5, true, false);
            Nd4j.getRandom().setSeed(20240611);
            INDArray again = v.apply(x, 0.5, true, false);
            INDArray againSecond = v.apply(x, 0.5, true, false);
            Nd4j.getRandom().setSeed(99);
            INDArray otherSeed = v.apply(x, 0.5, true, false);
            assertSameBits(first, again, v + ": reseeding reproduces the first call");
            assertSameBits(second, againSecond, v + ": and the second");
            assertFalse(Arrays.equals(rowMajor(first), rowMajor(second)), v + ": consecutive calls differ");
            assertFalse(Arrays.equals(rowMajor(first), rowMajor(otherSeed)), v + ": another seed differs");
        }
    }

    @Test
    void S15_inplaceWritesIntoTheInputAndReturnsIt() {
        for (Variant v : VARIANTS) {
            for (char order : new char[] {'c', 'f'}) {
                for (double p : new double[] {0.3, 1.0}) {
                    INDArray x = positive(DataType.FLOAT, order, v.shape());
                    Nd4j.getRandom().setSeed(5);
                    INDArray expected = v.apply(x.dup(order), p, true, false);
                    Nd4j.getRandom().setSeed(5);
                    INDArray returned = v.apply(x, p, true, true);
                    assertSame(x, returned, v + " in place returns its input");
                    assertSameBits(expected, x, v + " order " + order + " p=" + p + ": the input holds the result");
                }
            }
            // In place on a view writes through to the viewed rows and nowhere else.
            long[] bigShape = v.shape().clone();
            bigShape[0] *= 2;
            INDArray big = positive(bigShape);
            INDArray view = big.get(NDArrayIndex.interval(0, 2, bigShape[0]));
            INDArray untouched = big.get(NDArrayIndex.interval(1, 2, bigShape[0])).dup();
            Nd4j.getRandom().setSeed(6);
            INDArray expected = v.apply(view.dup(), 0.5, true, false);
            Nd4j.getRandom().setSeed(6);
            assertSame(view, v.apply(view, 0.5, true, true));
            assertSameBits(expected, big.get(NDArrayIndex.interval(0, 2, bigShape[0])), v + ": view written");
            assertSameBits(untouched, big.get(NDArrayIndex.interval(1, 2, bigShape[0])), v + ": rest untouched");
        }
    }

    @Test
    void S15_notInplaceNeverModifiesTheInput() {
        for (Variant v : VARIANTS) {
            for (char order : new char[] {'c', 'f'}) {
                INDArray x = cycling(SPECIAL, v.shape()).dup(order);
                INDArray before = snapshot(x);
                for (double p : new double[] {0.0, 0.3, 0.5, 0.9, 1.0}) {
                    for (boolean training : new boolean[] {true, false}) {
                        v.apply(x, p, training, false);
                        assertSameBits(before, x, v + " order " + order + " p=" + p + " training=" + training);
                    }
                }
            }
        }
        // The failing paths leave it alone too.
        INDArray rank1 = positive(6);
        assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.featureAlphaDropout(rank1, 0.5, true, false));
        assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.dropout2d(rank1, 0.5, true, true));
        assertThrowsIllegalArgument(() -> Functional.dropout1d(rank1, 0.5, true, true));
        assertSameBits(positive(6), rank1, "input of failed calls");
    }

    private static void assertThrowsIllegalArgument(org.junit.jupiter.api.function.Executable call) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, call);
    }

    @Test
    void S16_backwardAppliesTheForwardMaskAndScale() {
        long key = 0x5EEDL;
        INDArray gradOut = cycling(new float[] {0.25f, -1.5f, 3f, -0f, 7.75f, -0.125f}, 8, 6, 5);
        float[] g = rowMajor(gradOut);
        for (double p : new double[] {0.15, 0.5, 0.8}) {
            float scale = 1f / (float) (1 - p);
            for (int[] maskAxes : new int[][] {null, {0, 1}, {0}}) {
                INDArray ones = Nd4j.ones(DataType.FLOAT, 8, 6, 5);
                float[] forward = rowMajor(DropoutKernel.forward(ones, ones.ulike(), p, false, maskAxes, key));
                INDArray gradIn = gradOut.ulike();
                assertSame(gradIn, DropoutKernel.backward(gradOut, gradIn, p, false, maskAxes, key));
                float[] expected = new float[g.length];
                for (int i = 0; i < g.length; i++) {
                    assertTrue(forward[i] == 0 || forward[i] == scale, "forward of 1 is 0 or the scale");
                    expected[i] = g[i] * (forward[i] != 0 ? scale : 0f);
                }
                assertFloatBits(expected, rowMajor(gradIn), "backward p=" + p + " axes " + Arrays.toString(maskAxes));
            }
        }
        // p = 1: zero gradient (dy * 0).
        INDArray gradIn = gradOut.ulike();
        DropoutKernel.backward(gradOut, gradIn, 1.0, false, null, 0);
        float[] zeros = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            zeros[i] = g[i] * 0f;
        }
        assertFloatBits(zeros, rowMajor(gradIn), "backward at p=1");

        // Through the runtime layer: p=0 and eval pass the gradient through; training at p=0.5 masks it like
        // its own forward pass did; p=1 zeroes it.
        INDArray x = positive(8, 6, 5);
        assertSameBits(gradOut, layerBackward(new Dropout(0.0), x, true, gradOut), "layer backward at p=0");
        assertSameBits(gradOut, layerBackward(new Dropout(0.5), x, false, gradOut), "layer backward in eval");
        assertFloatBits(zeros, rowMajor(layerBackward(new Dropout(1.0), x, true, gradOut)), "layer backward p=1");
        Layer layer = instantiate(new Dropout(0.5));
        layer.setInput(x, NO_WORKSPACES);
        float[] y = rowMajor(layer.activate(true, NO_WORKSPACES));
        float[] back = rowMajor(layer.backpropGradient(gradOut, NO_WORKSPACES).getSecond());
        float[] expected = new float[g.length];
        for (int i = 0; i < g.length; i++) {
            expected[i] = g[i] * (y[i] != 0 ? 2f : 0f);
        }
        assertFloatBits(expected, back, "layer backward with the layer's own mask");
    }

    /** The gradient a freshly instantiated runtime layer gives after one forward pass. */
    static INDArray layerBackward(AbstractDropout config, INDArray x, boolean training, INDArray gradOut) {
        Layer layer = instantiate(config);
        layer.setInput(x, NO_WORKSPACES);
        layer.activate(training, NO_WORKSPACES);
        return layer.backpropGradient(gradOut, NO_WORKSPACES).getSecond();
    }

    /** The runtime layer of {@code config}, outside any network. */
    static Layer instantiate(AbstractDropout config) {
        NeuralNetConfiguration conf = new NeuralNetConfiguration.Builder().layer(config).build();
        return conf.getLayer().instantiate(conf, List.of(), 0, null, false, DataType.FLOAT);
    }

    @Test
    void S20_dropoutTakesAnyRankWithAnElementwiseMask() {
        // Every axis of every shape has lines along which the mask must vary: a line of length d is constant
        // with probability 2^(1-d) at p=0.5, and the check fails only if all of the lines along that axis are.
        // Worst case here: shape (2,3,2,3,2,2), axis of length 2 with 72 lines: 2^-72.
        long[][] shapes = {{64}, {8, 8}, {4, 4, 4}, {3, 3, 3, 3}, {2, 3, 2, 3, 2}, {2, 3, 2, 3, 2, 2}};
        for (long[] shape : shapes) {
            INDArray x = positive(shape);
            INDArray y = Functional.dropout(x, 0.5, true, false);
            assertArrayEquals(shape, y.shape());
            float[] in = rowMajor(x);
            float[] out = rowMajor(y);
            for (int i = 0; i < in.length; i++) {
                assertTrue(out[i] == 0 || out[i] == 2 * in[i], Arrays.toString(shape) + " element " + i);
            }
            boolean[] mask = maskOf(y, shape);
            for (int axis = 0; axis < shape.length; axis++) {
                assertVariesAlong(mask, shape, axis);
            }
        }
        // 0-D: 3 becomes 6 or 0, and over 64 seeds both happen (all alike: 2^-63).
        boolean sawKept = false;
        boolean sawDropped = false;
        for (int seed = 0; seed < 64; seed++) {
            Nd4j.getRandom().setSeed(seed);
            INDArray scalar = Nd4j.scalar(3f);
            INDArray y = Functional.dropout(scalar, 0.5, true, false);
            assertEquals(0, y.rank());
            float value = y.getFloat(0);
            assertTrue(value == 0 || value == 6, "0-D output " + value);
            sawKept |= value == 6;
            sawDropped |= value == 0;
        }
        assertTrue(sawKept && sawDropped, "0-D input is both kept and dropped over 64 seeds");
        assertMixed(maskOf(Functional.dropout(positive(64), 0.5, true, false), new long[] {64}));
    }

    @Test
    void S21_defaultsAndStringForm() {
        List<AbstractDropout> defaults = List.of(new Dropout(), new Dropout1d(), new Dropout2d(), new Dropout3d(),
                new AlphaDropout(), new FeatureAlphaDropout());
        List<AbstractDropout> built = List.of(new Dropout.Builder().build(), new Dropout1d.Builder().build(),
                new Dropout2d.Builder().build(), new Dropout3d.Builder().build(), new AlphaDropout.Builder().build(),
                new FeatureAlphaDropout.Builder().build());
        List<String> names = List.of("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                "FeatureAlphaDropout");
        for (int i = 0; i < names.size(); i++) {
            for (AbstractDropout layer : List.of(defaults.get(i), built.get(i))) {
                assertEquals(0.5, layer.getP(), 0);
                assertFalse(layer.isInplace());
                assertEquals(names.get(i) + "(p=0.5, inplace=false)", layer.toString());
            }
        }
        assertEquals("Dropout(p=0.2, inplace=true)", new Dropout(0.2, true).toString());
        assertEquals("Dropout(p=0.0, inplace=false)", new Dropout(0.0).toString());
        assertEquals("AlphaDropout(p=1.0, inplace=true)", new AlphaDropout.Builder().p(1).inplace(true).build()
                .toString());
    }
}
