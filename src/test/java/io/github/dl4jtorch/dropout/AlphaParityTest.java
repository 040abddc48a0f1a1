package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.FEATURE_RANK_MESSAGE;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFailsWith;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFloatBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertVariesAlong;
import static io.github.dl4jtorch.dropout.DropoutChecks.cycling;
import static io.github.dl4jtorch.dropout.DropoutChecks.maskOf;
import static io.github.dl4jtorch.dropout.DropoutChecks.positive;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajorDouble;
import static io.github.dl4jtorch.dropout.DropoutChecks.sameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutChecks.DropoutFunction;
import io.github.dl4jtorch.dropout.kernel.DropoutKernel;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spec items S60–S65: AlphaDropout and FeatureAlphaDropout. Expected values are computed here from the spec's
 * formulas (S60, S61) in double and, for float32, in Java's IEEE single arithmetic, which rounds every step as
 * the spec's bit-exact form says.
 */
class AlphaParityTest {

    /** The spec's alpha, written out rather than taken from the code under test. */
    private static final double ALPHA = 1.7580993408473766;

    private static final List<DropoutFunction> FORMS = List.of(Functional::alphaDropout,
            Functional::featureAlphaDropout);

    /** a = 1 / sqrt((alpha^2 p + 1)(1 - p)), in double (S60). */
    static double a(double p) {
        return 1 / Math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p));
    }

    /** The float32 kept value of S61: f32(f32(x * f32(a)) + f32(alpha a p)). */
    static float kept(float x, double p) {
        return x * (float) a(p) + (float) (ALPHA * a(p) * p);
    }

    /** The float32 dropped value of S61: f32(-f32(alpha a) + f32(alpha a p)). */
    static float dropped(double p) {
        return -(float) (ALPHA * a(p)) + (float) (ALPHA * a(p) * p);
    }

    @Test
    void S60_constants() {
        assertEquals(ALPHA, 1.0507009873554805 * 1.6732632423543772, Math.ulp(ALPHA),
                "alpha is SELU's scale times SELU's alpha");
        assertEquals(ALPHA, DropoutKernel.SELU_ALPHA_TIMES_SCALE, 0, "the library's alpha");
        assertEquals(0.8864048946659319, a(0.5), 0, "the spec's a at p=0.5");
        // The library uses that a (in float32): the gradient of a kept lane is f32(a) (S63), at several p.
        for (double p : new double[] {0.05, 0.2, 0.5, 0.8}) {
            INDArray ones = Nd4j.ones(DataType.FLOAT, 400);
            float[] grad = rowMajor(DropoutKernel.backward(ones, ones.ulike(), p, true, null, 42));
            boolean sawKept = false;
            for (float g : grad) {
                assertTrue(g == 0 || g == (float) a(p), "p=" + p + ": gradient " + g + ", a = " + a(p));
                sawKept |= g != 0;
            }
            // 400 lanes, none kept at p <= 0.8: 0.8^400 = 1e-39.
            assertTrue(sawKept);
            // And in double, a itself.
            INDArray onesD = Nd4j.ones(DataType.DOUBLE, 400);
            double[] gradD = rowMajorDouble(DropoutKernel.backward(onesD, onesD.ulike(), p, true, null, 42));
            for (double g : gradD) {
                assertTrue(g == 0 || g == a(p), "p=" + p + " double: gradient " + g);
            }
        }
    }

    @Test
    void S61_keptAndDroppedValuesAreBitExact() {
        // The spec's numbers: the float32 dropped values printed in double.
        assertEquals(-0.7791939377784729, dropped(0.5), 0);
        assertEquals(-1.2361598014831543, dropped(0.2), 0);
        // ... and the plain real-number form -alpha a (1-p) they round.
        assertEquals(-ALPHA * a(0.5) * 0.5, dropped(0.5), 1e-7);
        float[] values = {0f, -0f, 1f, -1f, 0.3f, -2.75f, 1e-3f, 123.456f, -7e-20f, 3e-39f};
        for (DropoutFunction f : FORMS) {
            for (double p : new double[] {0.5, 0.2, 0.05, 0.7, 1.0 / 3}) {
                INDArray x = cycling(values, 60, 50);
                float[] in = rowMajor(x);
                float[] out = rowMajor(f.apply(x, p, true, false));
                int nKept = 0;
                int nDropped = 0;
                for (int i = 0; i < in.length; i++) {
                    boolean isKept = sameBits(kept(in[i], p), out[i]);
                    boolean isDropped = sameBits(dropped(p), out[i]);
                    assertTrue(isKept || isDropped, "p=" + p + ": " + in[i] + " -> " + out[i] + ", expected "
                            + kept(in[i], p) + " or " + dropped(p));
                    nKept += isKept ? 1 : 0;
                    nDropped += isDropped ? 1 : 0;
                }
                // Rank 2, so 3000 mask lanes for both forms: all alike has probability at most 2 * 0.95^3000.
                assertTrue(nKept > 0 && nDropped > 0, "p=" + p + ": kept " + nKept + ", dropped " + nDropped);
            }
        }
        // float64: a x + alpha a p and -alpha a + alpha a p, in double.
        double p = 0.2;
        double[] xs = new double[1000];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (i % 41 - 20) / 7.0;
        }
        double[] out = rowMajorDouble(Functional.alphaDropout(Nd4j.create(xs, new long[] {1000}, DataType.DOUBLE), p,
                true, false));
        double alphaA = ALPHA * a(p);
        for (int i = 0; i < xs.length; i++) {
            assertTrue(out[i] == xs[i] * a(p) + alphaA * p || out[i] == -alphaA + alphaA * p,
                    "double: " + xs[i] + " -> " + out[i]);
        }
    }

    @Test
    void S62_pOneGivesZerosAndDroppedNanOrInfinityGivesNan() {
        float[] special = {1.5f, -2.25f, 0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (DropoutFunction f : FORMS) {
            // p = 1: x * 0, not the saturation value.
            INDArray x = cycling(special, 10, 6);
            float[] in = rowMajor(x);
            float[] expected = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                expected[i] = in[i] * 0f;
            }
            INDArray y = f.apply(x, 1.0, true, false);
            assertNotSame(x, y);
            assertFloatBits(expected, rowMajor(y), "alpha p=1");
            // p = 0 and eval: the input itself.
            assertSame(x, f.apply(x, 0.0, true, false));
            assertSame(x, f.apply(x, 0.5, false, false));
            assertSame(x, f.apply(x, 1.0, false, true));

            // Kept NaN/Inf stay NaN/Inf (a x + c); dropped ones become NaN (x * 0 + c). Rank 2, so 600 mask lanes
            // for both forms, each special value in 100 of them: never dropped has probability 2^-100.
            INDArray big = cycling(special, 100, 6);
            float[] bigIn = rowMajor(big);
            float[] bigOut = rowMajor(f.apply(big, 0.5, true, false));
            boolean infinityToNaN = false;
            boolean minusInfinityToNaN = false;
            for (int i = 0; i < bigIn.length; i++) {
                float v = bigIn[i];
                if (Float.isNaN(v)) {
                    assertTrue(Float.isNaN(bigOut[i]), "NaN in, NaN out");
                } else if (Float.isInfinite(v)) {
                    assertTrue(Float.isNaN(bigOut[i]) || bigOut[i] == v, v + " -> " + bigOut[i]);
                    infinityToNaN |= v > 0 && Float.isNaN(bigOut[i]);
                    minusInfinityToNaN |= v < 0 && Float.isNaN(bigOut[i]);
                }
            }
            assertTrue(infinityToNaN && minusInfinityToNaN, "dropped +-Inf give NaN");
        }
        // Mean ~0 and standard deviation ~1 on N(0,1) input: StatisticalParityTest bounds, at p = 0.5.
        StatisticalParityTest.assertSelfNormalising(0.5, 0x62);
    }

    @Test
    void S63_backwardIsAOnKeptAndZeroOnDropped() {
        INDArray gradOut = cycling(new float[] {0.5f, -1.25f, 3f, -0f, 2e-3f}, 8, 6, 5);
        float[] g = rowMajor(gradOut);
        for (double p : new double[] {0.2, 0.5}) {
            float fa = (float) a(p);
            for (int[] maskAxes : new int[][] {null, {0, 1}}) {
                // Forward on zeros tells the mask: kept lanes give f32(alpha a p) > 0, dropped ones a negative.
                INDArray zeros = Nd4j.zeros(DataType.FLOAT, 8, 6, 5);
                float[] forward = rowMajor(DropoutKernel.forward(zeros, zeros.ulike(), p, true, maskAxes, 7));
                float[] back = rowMajor(DropoutKernel.backward(gradOut, gradOut.ulike(), p, true, maskAxes, 7));
                float[] expected = new float[g.length];
                for (int i = 0; i < g.length; i++) {
                    assertTrue(sameBits(kept(0f, p), forward[i]) || sameBits(dropped(p), forward[i]));
                    expected[i] = g[i] * (forward[i] > 0 ? fa : 0f);
                }
                assertFloatBits(expected, back, "alpha backward p=" + p + " axes " + Arrays.toString(maskAxes));
            }
        }
        // p = 1: zero gradient.
        float[] zeros = rowMajor(DropoutKernel.backward(gradOut, gradOut.ulike(), 1.0, true, null, 0));
        for (int i = 0; i < g.length; i++) {
            assertTrue(sameBits(g[i] * 0f, zeros[i]));
        }
        // Through the runtime layers, with their own masks: positive input is kept as a positive value and dropped
        // to a negative one.
        for (AbstractDropout config : List.of(new AlphaDropout(0.5), new FeatureAlphaDropout(0.5))) {
            Layer layer = KernelParityTest.instantiate(config);
            INDArray x = positive(8, 6, 5);
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            float[] y = rowMajor(layer.activate(true, LayerWorkspaceMgr.noWorkspaces()));
            float[] back = rowMajor(layer.backpropGradient(gradOut, LayerWorkspaceMgr.noWorkspaces()).getSecond());
            float[] expected = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                expected[i] = g[i] * (y[i] > 0 ? (float) a(0.5) : 0f);
            }
            assertFloatBits(expected, back, config + " backward");
        }
    }

    @Test
    void S64_featureAlphaDropoutMasksTheFirstTwoAxesOfAnyRank() {
        // Mask (8, 8, 1, ..., 1) at p=0.5; constant along axis 0 or 1 on all 8 lines: 2 * (2^-7)^8 = 2^-55 per
        // shape, five shapes.
        long[][] shapes = {{8, 8}, {8, 8, 3}, {8, 8, 2, 3}, {8, 8, 2, 1, 2}, {8, 8, 1, 2, 1, 2}};
        for (long[] shape : shapes) {
            long[] maskShape = new long[shape.length];
            Arrays.fill(maskShape, 1);
            maskShape[0] = shape[0];
            maskShape[1] = shape[1];
            INDArray x = positive(shape);
            List<String> warnings;
            INDArray y;
            try (WarningCapture capture = new WarningCapture()) {
                y = Functional.featureAlphaDropout(x, 0.5, true, false);
                warnings = capture.messages();
            }
            assertEquals(List.of(), warnings, "no warnings for any rank");
            assertArrayEquals(shape, y.shape());
            float[] in = rowMajor(x);
            float[] out = rowMajor(y);
            for (int i = 0; i < in.length; i++) {
                assertTrue(sameBits(kept(in[i], 0.5), out[i]) || sameBits(dropped(0.5), out[i]));
            }
            boolean[] mask = maskOf(out, shape, maskShape, v -> v > 0);
            assertVariesAlong(mask, maskShape, 0);
            assertVariesAlong(mask, maskShape, 1);
        }
        // Rank 0 and 1 fail in training with 0<p<1 and elements, and only then.
        for (INDArray x : List.of(Nd4j.scalar(2f), positive(5))) {
            for (boolean inplace : new boolean[] {false, true}) {
                assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.featureAlphaDropout(x, 0.5, true, inplace));
                assertSame(x, Functional.featureAlphaDropout(x, 0.5, false, inplace));
                assertSame(x, Functional.featureAlphaDropout(x, 0.0, true, inplace));
            }
            assertSameBits(Nd4j.zeros(DataType.FLOAT, x.shape()), Functional.featureAlphaDropout(x, 1.0, true, false),
                    "rank " + x.rank() + " at p=1");
            // Plain alpha dropout takes these ranks.
            assertArrayEquals(x.shape(), Functional.alphaDropout(x, 0.5, true, false).shape());
        }
        INDArray empty = Nd4j.create(DataType.FLOAT, 0);
        assertSame(empty, Functional.featureAlphaDropout(empty, 0.5, true, false));
    }

    @Test
    void S65_inplaceIsHonouredByTheAlphaLayersAndFunctions() {
        // Functional forms: the result is written into the input and the input returned.
        for (DropoutFunction f : FORMS) {
            INDArray x = positive(8, 6, 5);
            Nd4j.getRandom().setSeed(65);
            INDArray expected = f.apply(x.dup(), 0.5, true, false);
            Nd4j.getRandom().setSeed(65);
            assertSame(x, f.apply(x, 0.5, true, true));
            assertSameBits(expected, x, "in-place alpha dropout");
        }
        // Layers (Ours): with inplace=true, where DL4J allows modifying the input, the input holds the output.
        for (AbstractDropout config : List.of(new AlphaDropout(0.5, true), new FeatureAlphaDropout(0.5, true),
                new AlphaDropout.Builder().p(0.5).inplace(true).build())) {
            assertTrue(config.isInplace());
            INDArray x = positive(8, 6, 5);
            Layer layer = KernelParityTest.instantiate(config);
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            layer.allowInputModification(true);
            INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
            assertSameBits(y, x, config + ": the input holds the output");
            assertFalse(Arrays.equals(rowMajor(positive(8, 6, 5)), rowMajor(x)), config + " modified its input");
        }
        // ... and with inplace=false they never touch it.
        for (AbstractDropout config : List.of(new AlphaDropout(0.5), new FeatureAlphaDropout(0.5, false))) {
            INDArray x = positive(8, 6, 5);
            INDArray before = snapshot(x);
            Layer layer = KernelParityTest.instantiate(config);
            layer.setInput(x, LayerWorkspaceMgr.noWorkspaces());
            layer.allowInputModification(true);
            INDArray y = layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
            assertSameBits(before, x, config + " leaves its input alone");
            assertFalse(Arrays.equals(rowMajor(before), rowMajor(y)), config + " did drop");
        }
    }
}
