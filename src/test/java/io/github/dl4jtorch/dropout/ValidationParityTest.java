package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.VARIANTS;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFailsWith;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.positive;
import static io.github.dl4jtorch.dropout.DropoutChecks.rangeMessage;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static io.github.dl4jtorch.dropout.DropoutChecks.snapshot;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutChecks.Variant;
import java.util.List;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Spec items S01–S05: the range of {@code p}, its special values, defaults, and non-floating input. */
class ValidationParityTest {

    /** Every way to make each of the six layers with a given p: three constructors and the builder. */
    private static final List<DoubleFunction<AbstractDropout>> LAYER_FACTORIES = List.of(
            Dropout::new, p -> new Dropout(p, true), p -> new Dropout.Builder().p(p).build(),
            Dropout1d::new, p -> new Dropout1d(p, true), p -> new Dropout1d.Builder().p(p).build(),
            Dropout2d::new, p -> new Dropout2d(p, true), p -> new Dropout2d.Builder().p(p).build(),
            Dropout3d::new, p -> new Dropout3d(p, true), p -> new Dropout3d.Builder().p(p).build(),
            AlphaDropout::new, p -> new AlphaDropout(p, true), p -> new AlphaDropout.Builder().p(p).build(),
            FeatureAlphaDropout::new, p -> new FeatureAlphaDropout(p, true),
            p -> new FeatureAlphaDropout.Builder().p(p).build());

    @Test
    void S01_probabilityOutsideZeroOneFailsEverywhere() {
        double[] invalid = {1.5, -0.1, 2.0, -1.0, 1.0000001, -Double.MIN_VALUE, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY};
        for (double p : invalid) {
            String message = rangeMessage(Double.toString(p));
            for (DoubleFunction<AbstractDropout> factory : LAYER_FACTORIES) {
                assertFailsWith(message, () -> factory.apply(p));
            }
            for (Variant v : VARIANTS) {
                // The range check comes first: whatever training, inplace and the input's rank or type.
                for (boolean training : new boolean[] {true, false}) {
                    assertFailsWith(message, () -> v.apply(positive(v.shape()), p, training, false));
                    assertFailsWith(message, () -> v.apply(positive(v.shape()), p, training, true));
                    assertFailsWith(message, () -> v.apply(Nd4j.scalar(1f), p, training, false));
                    assertFailsWith(message, () -> v.apply(Nd4j.createFromArray(1, 2, 3), p, training, false));
                }
            }
            assertFailsWith(message, () -> Functional.dropout(positive(3), p));
            assertFailsWith(message, () -> Functional.dropout1d(positive(2, 3), p));
            assertFailsWith(message, () -> Functional.dropout2d(positive(2, 3, 2, 2), p));
            assertFailsWith(message, () -> Functional.dropout3d(positive(2, 3, 2, 2, 2), p));
            assertFailsWith(message, () -> Functional.alphaDropout(positive(3), p));
            assertFailsWith(message, () -> Functional.featureAlphaDropout(positive(2, 3), p));
        }
    }

    @Test
    void S02_nanIsRejectedAtConstructionAndInEveryFunctionalCall() {
        String message = rangeMessage("NaN");
        for (DoubleFunction<AbstractDropout> factory : LAYER_FACTORIES) {
            assertFailsWith(message, () -> factory.apply(Double.NaN));
        }
        for (Variant v : VARIANTS) {
            for (boolean training : new boolean[] {true, false}) {
                for (boolean inplace : new boolean[] {true, false}) {
                    INDArray x = positive(v.shape());
                    INDArray before = snapshot(x);
                    assertFailsWith(message, () -> v.apply(x, Double.NaN, training, inplace));
                    assertSameBits(before, x, v + ": input after a rejected call");
                }
            }
            assertFailsWith(message, () -> v.apply(Nd4j.create(DataType.FLOAT, 0, 3), Double.NaN, true, false));
        }
        assertFailsWith(message, () -> Functional.dropout(positive(3), Double.NaN));
        assertFailsWith(message, () -> Functional.alphaDropout(positive(3), Double.NaN));
    }

    @Test
    void S03_zeroOneAndMinusZeroAreValid() {
        for (double p : new double[] {0.0, -0.0, 1.0}) {
            for (DoubleFunction<AbstractDropout> factory : LAYER_FACTORIES) {
                AbstractDropout layer = factory.apply(p);
                assertEquals(Double.doubleToRawLongBits(p), Double.doubleToRawLongBits(layer.getP()),
                        layer.getClass().getSimpleName() + " keeps p as given");
            }
            for (Variant v : VARIANTS) {
                for (boolean training : new boolean[] {true, false}) {
                    INDArray x = positive(v.shape());
                    INDArray y = v.apply(x, p, training, false);
                    assertArrayEquals(x.shape(), y.shape(), v + " p=" + p);
                    if (training && p == 1.0) {
                        DropoutChecks.assertSameBits(x.mul(0), y, v + " p=1 gives x * 0");
                    } else {
                        org.junit.jupiter.api.Assertions.assertSame(x, y, v + " p=" + p + " returns the input itself");
                    }
                }
            }
        }
        // -0.0 is p == 0: the input itself (S10), not a draw.
        for (Variant v : VARIANTS) {
            INDArray x = positive(v.shape());
            assertSame(x, v.apply(x, -0.0, true, false), v + " with p=-0.0");
        }
    }

    @Test
    void S04_shorterOverloadsKeepPyTorchsTrainingDefaults() {
        // dropout/dropout1d/2d/3d: training=True, inplace=False. At p=1 training gives zeros in a new array.
        List<INDArray> inputs = List.of(positive(3, 4), positive(2, 3, 4), positive(2, 3, 2, 2),
                positive(2, 3, 2, 2, 2));
        List<INDArray> outputs = List.of(Functional.dropout(inputs.get(0), 1.0),
                Functional.dropout1d(inputs.get(1), 1.0), Functional.dropout2d(inputs.get(2), 1.0),
                Functional.dropout3d(inputs.get(3), 1.0));
        for (int i = 0; i < inputs.size(); i++) {
            INDArray x = inputs.get(i);
            INDArray y = outputs.get(i);
            assertNotSame(x, y, "short form " + i + " is not in place");
            assertSameBits(positive(x.shape()), x, "short form " + i + " leaves its input alone");
            assertSameBits(Nd4j.zeros(DataType.FLOAT, x.shape()), y, "short form " + i + " trains (p=1 zeroes)");
        }
        // ... and at 0<p<1 they train: every positive element is either zeroed or doubled, never returned as is.
        INDArray x = positive(4, 6, 5);
        INDArray y = Functional.dropout(x, 0.5);
        assertNotSame(x, y);
        assertSameBits(positive(4, 6, 5), x, "dropout(x, 0.5) leaves its input alone");
        float[] in = rowMajor(x);
        float[] out = rowMajor(y);
        for (int i = 0; i < in.length; i++) {
            assertTrue(out[i] == 0 || out[i] == in[i] * 2f, "dropout(x, 0.5) element " + i + ": " + out[i]);
        }
        // alpha_dropout and feature_alpha_dropout: training=False, so the input itself.
        INDArray a = positive(4, 6);
        assertSame(a, Functional.alphaDropout(a, 0.5));
        assertSame(a, Functional.alphaDropout(a, 1.0));
        assertSame(a, Functional.featureAlphaDropout(a, 0.5));
        assertSame(a, Functional.featureAlphaDropout(a, 1.0));
        assertSameBits(positive(4, 6), a, "alpha short forms leave their input alone");
    }

    @Test
    void S05_nonFloatingInputFailsOnlyWhenDrawing() {
        List<INDArray> inputs = List.of(
                Nd4j.createFromArray(new int[][][] {{{1, -2}, {3, 4}}, {{5, 6}, {-7, 8}}}),
                Nd4j.createFromArray(new long[][][] {{{1, -2}, {3, 4}}, {{5, 6}, {-7, 8}}}),
                Nd4j.createFromArray(new boolean[][][] {{{true, false}, {true, true}}, {{false, true}, {true, true}}}),
                Nd4j.createFromArray(new short[][][] {{{1, -2}, {3, 4}}, {{5, 6}, {-7, 8}}}),
                Nd4j.createFromArray(new byte[][][] {{{1, -2}, {3, 4}}, {{5, 6}, {-7, 8}}}));
        List<DropoutChecks.DropoutFunction> forms = List.of(Functional::dropout, Functional::dropout1d,
                Functional::dropout3d, Functional::alphaDropout, Functional::featureAlphaDropout,
                Functional::dropout2d);
        for (INDArray x : inputs) {
            DataType type = x.dataType();
            assertFalse(type.isFPType());
            INDArray before = snapshot(x);
            for (DropoutChecks.DropoutFunction f : forms) {
                for (boolean inplace : new boolean[] {false, true}) {
                    assertFailsWith("result type Float can't be cast to the desired output type " + type,
                            () -> f.apply(x, 0.5, true, inplace));
                    assertFailsWith("result type Float can't be cast to the desired output type " + type,
                            () -> f.apply(x, 0.1, true, inplace));
                    assertSameBits(before, x, type + ": input after the failure");
                    assertSame(x, f.apply(x, 0.5, false, inplace), type + " in eval");
                    assertSame(x, f.apply(x, 0.0, true, inplace), type + " at p=0");
                }
                // p = 1: x * 0 in the input's type (bool: x AND false).
                INDArray zeros = f.apply(x, 1.0, true, false);
                assertEquals(type, zeros.dataType());
                assertArrayEquals(x.shape(), zeros.shape());
                assertSameBits(Nd4j.zeros(DataType.DOUBLE, x.shape()).castTo(type), zeros, type + " at p=1");
                assertSameBits(before, x, type + ": input after p=1 not in place");
            }
            INDArray copy = x.dup();
            assertSame(copy, Functional.dropout(copy, 1.0, true, true));
            assertSameBits(Nd4j.zeros(DataType.DOUBLE, x.shape()).castTo(type), copy, type + " at p=1 in place");
        }
    }
}
