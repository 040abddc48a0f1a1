package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.FEATURE_RANK_MESSAGE;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertFailsWith;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertSameBits;
import static io.github.dl4jtorch.dropout.DropoutChecks.assertVariesAlong;
import static io.github.dl4jtorch.dropout.DropoutChecks.maskOf;
import static io.github.dl4jtorch.dropout.DropoutChecks.positive;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutChecks.DropoutFunction;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spec items S30–S51: which ranks Dropout1d/2d/3d take, the mask shape each rank gets, and their warnings and
 * errors (warnings captured from {@link Functional}'s logger).
 *
 * <p>Mask shapes are checked on positive input at p = 0.5: every output is 0 or twice its input, every group of
 * elements sharing a mask lane is all kept or all dropped ({@link DropoutChecks#maskOf}), and the mask varies
 * along each axis it is drawn on. A line of length d along such an axis is constant with probability 2^(1-d);
 * each test states the worst resulting false-failure rate.
 */
class ChannelParityTest {

    private static final String DROPOUT1D_RANK = "dropout1d: Expected 2D or 3D input, but received a %dD input. "
            + "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
            + "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).";

    private static final String DROPOUT2D_3D_INPUT = "dropout2d: Received a 3D input to dropout2d and assuming that "
            + "channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the "
            + "channel dim. This behavior will change in a future release to interpret the input as one without a "
            + "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch "
            + "to using dropout1d instead.";

    private static final String DEPRECATED_RANK = "%1$s: Received a %2$d-D input to %1$s, which is deprecated and "
            + "will result in an error in a future release. To retain the behavior and silence this warning, please "
            + "use dropout instead. Note that %1$s exists to provide channel-wise dropout on inputs with %3$d spatial "
            + "dimensions, a channel dimension, and an optional batch dimension (i.e. %4$dD or %5$dD inputs).";

    private static String dropout2dRankWarning(int rank) {
        return String.format(DEPRECATED_RANK, "dropout2d", rank, 2, 3, 4);
    }

    private static String dropout3dRankWarning(int rank) {
        return String.format(DEPRECATED_RANK, "dropout3d", rank, 3, 4, 5);
    }

    /**
     * Runs {@code f} at p = 0.5 on positive input of {@code shape}, checks the output against the mask shape
     * (varying along every axis where it is not 1), and returns the warnings logged.
     */
    private static List<String> checkMask(DropoutFunction f, long[] shape, long[] maskShape) {
        INDArray x = positive(shape);
        INDArray y;
        List<String> warnings;
        try (WarningCapture capture = new WarningCapture()) {
            y = f.apply(x, 0.5, true, false);
            warnings = capture.messages();
        }
        assertArrayEquals(shape, y.shape());
        float[] in = rowMajor(x);
        float[] out = rowMajor(y);
        for (int i = 0; i < in.length; i++) {
            assertTrue(out[i] == 0 || out[i] == 2 * in[i], "element " + i + ": " + in[i] + " -> " + out[i]);
        }
        boolean[] mask = maskOf(y, maskShape);
        for (int axis = 0; axis < maskShape.length; axis++) {
            if (maskShape[axis] > 1) {
                assertVariesAlong(mask, maskShape, axis);
            }
        }
        return warnings;
    }

    /** The warnings one call logs, whatever it returns or throws. */
    private static List<String> warningsOf(Runnable call) {
        try (WarningCapture capture = new WarningCapture()) {
            call.run();
            return capture.messages();
        }
    }

    @Test
    void S30_dropout1dTakesBatchedAndUnbatchedInput() {
        // (N, C, L) = (8, 8, 5): mask (8, 8, 1). Constant along axis 0 or 1 on all 8 lines: 2 * (2^-7)^8 = 2^-55.
        assertEquals(List.of(), checkMask(Functional::dropout1d, new long[] {8, 8, 5}, new long[] {8, 8, 1}));
        // (C, L) = (32, 5): one draw per channel, mask (32, 1). Constant along axis 0: 2^-31 = 4.7e-10.
        assertEquals(List.of(), checkMask(Functional::dropout1d, new long[] {32, 5}, new long[] {32, 1}));
        // Unbatched stays unbatched: same shape out, also in place and at p=1.
        INDArray x = positive(32, 5);
        assertSame(x, Functional.dropout1d(x, 0.5, true, true));
        assertArrayEquals(new long[] {32, 5}, Functional.dropout1d(positive(32, 5), 1.0, true, false).shape());
    }

    @Test
    void S31_dropout1dRejectsOtherRanksEvenInEvalOrAtZero() {
        List<INDArray> inputs = List.of(Nd4j.scalar(1f), positive(6), positive(2, 3, 2, 2), positive(2, 3, 2, 2, 2),
                Nd4j.create(DataType.FLOAT, 0, 3, 2, 2));
        for (INDArray x : inputs) {
            String message = String.format(DROPOUT1D_RANK, x.rank());
            for (double p : new double[] {0.0, 0.5, 1.0}) {
                for (boolean training : new boolean[] {true, false}) {
                    for (boolean inplace : new boolean[] {false, true}) {
                        List<String> warnings = warningsOf(() -> assertFailsWith(message,
                                () -> Functional.dropout1d(x, p, training, inplace)));
                        assertEquals(List.of(), warnings, "dropout1d fails without warning");
                    }
                }
            }
            assertFailsWith(message, () -> Functional.dropout1d(x, 0.5));
        }
        assertEquals("dropout1d: Expected 2D or 3D input, but received a 4D input. Note that dropout1d exists to "
                + "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an "
                + "optional batch dimension (i.e. 2D or 3D inputs).", String.format(DROPOUT1D_RANK, 4));
    }

    @Test
    void S40_dropout2dMasksWholeFeatureMapsOfRank4Input() {
        // (8, 8, 3, 2): mask (8, 8, 1, 1); constant along axis 0 or 1: 2^-55.
        assertEquals(List.of(), checkMask(Functional::dropout2d, new long[] {8, 8, 3, 2}, new long[] {8, 8, 1, 1}));
        for (double p : new double[] {0.0, 1.0}) {
            for (boolean training : new boolean[] {true, false}) {
                assertEquals(List.of(), warningsOf(() -> Functional.dropout2d(positive(2, 3, 2, 2), p, training,
                        false)));
            }
        }
    }

    @Test
    void S41_dropout2dTakesRank3AsBatchedOneDimensionalWithAWarning() {
        // (8, 8, 5) is (N, C, L): mask (8, 8, 1), varying along axis 1 too, which an unbatched (C, H, W) reading
        // (mask (8, 1, 1)) would not. False failure 2^-55.
        assertEquals(List.of(DROPOUT2D_3D_INPUT),
                checkMask(Functional::dropout2d, new long[] {8, 8, 5}, new long[] {8, 8, 1}));
        // The warning comes with every call on rank 3, also when nothing is drawn, and only once.
        for (double p : new double[] {0.0, 0.5, 1.0}) {
            for (boolean training : new boolean[] {true, false}) {
                assertEquals(List.of(DROPOUT2D_3D_INPUT),
                        warningsOf(() -> Functional.dropout2d(positive(2, 3, 4), p, training, false)));
            }
        }
        assertEquals(List.of(DROPOUT2D_3D_INPUT), warningsOf(() -> Functional.dropout2d(positive(2, 3, 4), 0.5)));
    }

    @Test
    void S42_dropout2dWarnsOnOtherRanksAndProceeds() {
        // Rank 2 (N, C) = (16, 16): element-wise. Constant along an axis on all 16 lines: (2^-15)^16.
        assertEquals(List.of(dropout2dRankWarning(2)),
                checkMask(Functional::dropout2d, new long[] {16, 16}, new long[] {16, 16}));
        // Rank 5 and 6: (N, C, 1, ...). Constant along axis 0 or 1: 2 * (2^-7)^8 = 2^-55.
        assertEquals(List.of(dropout2dRankWarning(5)),
                checkMask(Functional::dropout2d, new long[] {8, 8, 2, 2, 2}, new long[] {8, 8, 1, 1, 1}));
        assertEquals(List.of(dropout2dRankWarning(6)), checkMask(Functional::dropout2d,
                new long[] {8, 8, 2, 1, 2, 2}, new long[] {8, 8, 1, 1, 1, 1}));
        // The warning also comes in eval and at p=0 or 1, for every rank but 3 and 4.
        for (int rank : new int[] {0, 1, 2, 5}) {
            long[] shape = new long[rank];
            java.util.Arrays.fill(shape, 2);
            for (double p : new double[] {0.0, 0.5, 1.0}) {
                boolean training = p != 0.5; // rank 0/1 in training at p=0.5 fails: see S43
                assertEquals(List.of(dropout2dRankWarning(rank)),
                        warningsOf(() -> Functional.dropout2d(positive(shape), p, training, false)),
                        "rank " + rank + " p=" + p);
            }
        }
        assertEquals("dropout2d: Received a 5-D input to dropout2d, which is deprecated and will result in an error "
                + "in a future release. To retain the behavior and silence this warning, please use dropout instead. "
                + "Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a "
                + "channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                dropout2dRankWarning(5));
    }

    @Test
    void S43_dropout2dOnRank0Or1FailsOnlyWhenDrawing() {
        for (INDArray x : List.of(Nd4j.scalar(3f), positive(6))) {
            String warning = dropout2dRankWarning(x.rank());
            for (boolean inplace : new boolean[] {false, true}) {
                // Training with 0<p<1 and elements: the warning, then the error.
                assertEquals(List.of(warning), warningsOf(() -> assertFailsWith(FEATURE_RANK_MESSAGE,
                        () -> Functional.dropout2d(x, 0.5, true, inplace))));
                assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.dropout2d(x, 0.01, true, inplace));
                // Otherwise no error: eval and p=0 give the input itself, p=1 gives x * 0.
                assertSame(x, Functional.dropout2d(x, 0.5, false, inplace));
                assertSame(x, Functional.dropout2d(x, 0.0, true, inplace));
            }
            assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.dropout2d(x, 0.5));
            INDArray zeros = Functional.dropout2d(x, 1.0, true, false);
            assertSameBits(Nd4j.zeros(DataType.FLOAT, x.shape()), zeros, "rank " + x.rank() + " at p=1");
        }
        // No elements: the input itself, even in training.
        INDArray empty = Nd4j.create(DataType.FLOAT, 0);
        assertEquals(1, empty.rank());
        assertSame(empty, Functional.dropout2d(empty, 0.5, true, false));
    }

    @Test
    void S50_dropout3dTakesBatchedAndUnbatchedInput() {
        // (N, C, D, H, W) = (8, 8, 2, 2, 2): mask (8, 8, 1, 1, 1); constant along axis 0 or 1: 2^-55.
        assertEquals(List.of(), checkMask(Functional::dropout3d, new long[] {8, 8, 2, 2, 2},
                new long[] {8, 8, 1, 1, 1}));
        // (C, D, H, W) = (32, 2, 2, 2): mask (32, 1, 1, 1); constant along axis 0: 2^-31.
        assertEquals(List.of(), checkMask(Functional::dropout3d, new long[] {32, 2, 2, 2}, new long[] {32, 1, 1, 1}));
        for (double p : new double[] {0.0, 1.0}) {
            assertEquals(List.of(), warningsOf(() -> Functional.dropout3d(positive(2, 2, 2, 2), p, false, false)));
        }
    }

    @Test
    void S51_dropout3dWarnsOnOtherRanksAndTreatsThemAsUnbatched() {
        // Masks vary along axis 0 only, of length 32 (64 for 1-D): constant has probability 2^-31 (2^-63); the
        // four checks together: < 2e-9.
        assertEquals(List.of(dropout3dRankWarning(6)), checkMask(Functional::dropout3d,
                new long[] {32, 2, 2, 1, 2, 2}, new long[] {32, 1, 1, 1, 1, 1}));
        assertEquals(List.of(dropout3dRankWarning(3)),
                checkMask(Functional::dropout3d, new long[] {32, 4, 3}, new long[] {32, 1, 1}));
        assertEquals(List.of(dropout3dRankWarning(2)),
                checkMask(Functional::dropout3d, new long[] {32, 5}, new long[] {32, 1}));
        assertEquals(List.of(dropout3dRankWarning(1)),
                checkMask(Functional::dropout3d, new long[] {64}, new long[] {64}));
        // 0-D fails as S43, after the warning; in eval and at p=0 or 1 it does not.
        INDArray scalar = Nd4j.scalar(3f);
        assertEquals(List.of(dropout3dRankWarning(0)), warningsOf(() -> assertFailsWith(FEATURE_RANK_MESSAGE,
                () -> Functional.dropout3d(scalar, 0.5, true, false))));
        assertFailsWith(FEATURE_RANK_MESSAGE, () -> Functional.dropout3d(scalar, 0.5, true, true));
        assertSame(scalar, Functional.dropout3d(scalar, 0.5, false, false));
        assertSame(scalar, Functional.dropout3d(scalar, 0.0, true, false));
        assertEquals(0f, Functional.dropout3d(scalar, 1.0, true, false).getFloat(0));
        assertEquals(List.of(dropout3dRankWarning(0)),
                warningsOf(() -> Functional.dropout3d(scalar, 0.5, false, false)));
        assertEquals("dropout3d: Received a 6-D input to dropout3d, which is deprecated and will result in an error "
                + "in a future release. To retain the behavior and silence this warning, please use dropout instead. "
                + "Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial dimensions, a "
                + "channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
                dropout3dRankWarning(6));
    }
}
