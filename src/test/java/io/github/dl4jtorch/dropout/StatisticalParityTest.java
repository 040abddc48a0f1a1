package io.github.dl4jtorch.dropout;

import static io.github.dl4jtorch.dropout.DropoutChecks.count;
import static io.github.dl4jtorch.dropout.DropoutChecks.maskOf;
import static io.github.dl4jtorch.dropout.DropoutChecks.positive;
import static io.github.dl4jtorch.dropout.DropoutChecks.rowMajor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dl4jtorch.dropout.DropoutChecks.DropoutFunction;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The distribution of the masks: Bernoulli(p) drops, whole channels for the feature forms, unbiased outputs,
 * independence between calls and between neighbouring lanes, and AlphaDropout's self-normalisation.
 *
 * <p>Every bound is Bernstein's inequality, which needs no normal approximation: for independent zero-mean
 * X_i with |X_i| <= m and total variance v, P(|sum X_i| >= t) <= 2 exp(-t^2 / (2 (v + m t / 3))). Each assertion
 * uses the t at which that is {@link #DELTA} = 1e-8 (about 6 standard deviations), so a test making k such
 * assertions fails falsely with probability at most k * 1e-8; each test states its k. Seeds are fixed, so a
 * run is reproducible.
 */
class StatisticalParityTest {

    /** False-failure probability allowed per assertion. */
    static final double DELTA = 1e-8;

    private static final double[] PS = {0.1, 0.3, 0.5, 0.7, 0.9};

    /** The t with 2 exp(-t^2 / (2 (v + m t / 3))) = delta, for total variance v and bound m. */
    static double bernstein(double variance, double bound, double delta) {
        double l = Math.log(2 / delta);
        double b = bound * l / 3;
        return b + Math.sqrt(b * b + 2 * variance * l);
    }

    /** Asserts a count of independent Bernoulli(q) events among n is within the Bernstein bound of n q. */
    private static void assertBinomial(long count, long n, double q, String what) {
        double tolerance = bernstein(n * q * (1 - q), 1, DELTA);
        assertTrue(Math.abs(count - n * q) <= tolerance,
                what + ": " + count + " of " + n + ", expected " + n * q + " +- " + tolerance);
    }

    @Test
    void elementwiseDropCountIsBinomial() {
        // 10 assertions: false failure <= 1e-7. 100 000 lanes; the tolerance is 470 lanes at p = 0.5.
        Nd4j.getRandom().setSeed(1001);
        int n = 100_000;
        for (double p : PS) {
            float[] y = rowMajor(Functional.dropout(Nd4j.ones(DataType.FLOAT, n), p, true, false));
            long dropped = 0;
            for (float v : y) {
                dropped += v == 0 ? 1 : 0;
            }
            assertBinomial(dropped, n, p, "dropout p=" + p);

            float droppedValue = AlphaParityTest.dropped(p);
            float[] z = rowMajor(Functional.alphaDropout(Nd4j.ones(DataType.FLOAT, n), p, true, false));
            long alphaDropped = 0;
            for (float v : z) {
                alphaDropped += v == droppedValue ? 1 : 0;
            }
            assertBinomial(alphaDropped, n, p, "alphaDropout p=" + p);
        }
    }

    @Test
    void channelDropCountIsBinomial() {
        // 20 assertions (4 forms x 5 p): false failure <= 2e-7. Each input has N x C = 100 x 200 = 20 000
        // channels; maskOf also checks every channel is dropped whole.
        Nd4j.getRandom().setSeed(1002);
        record Form(String name, DropoutFunction f, long[] shape, long[] maskShape) {
        }
        List<Form> forms = List.of(
                new Form("dropout1d", Functional::dropout1d, new long[] {100, 200, 2}, new long[] {100, 200, 1}),
                new Form("dropout2d", Functional::dropout2d, new long[] {100, 200, 2, 2},
                        new long[] {100, 200, 1, 1}),
                new Form("dropout3d", Functional::dropout3d, new long[] {100, 200, 2, 1, 1},
                        new long[] {100, 200, 1, 1, 1}),
                new Form("featureAlphaDropout", Functional::featureAlphaDropout, new long[] {100, 200, 2},
                        new long[] {100, 200, 1}));
        for (Form form : forms) {
            INDArray x = positive(form.shape());
            for (double p : PS) {
                float[] y = rowMajor(form.f().apply(x, p, true, false));
                // Standard forms drop positive input to 0; alpha ones to a negative value, keep it positive.
                boolean[] kept = maskOf(y, form.shape(), form.maskShape(),
                        form.name().startsWith("feature") ? v -> v > 0 : v -> v != 0);
                assertBinomial(kept.length - count(kept), kept.length, p, form.name() + " p=" + p);
            }
        }
    }

    @Test
    void outputMeanEqualsInputMean() {
        // 6 assertions: false failure <= 6e-8. Input x_i in [0.5, 1.5) (fixed java.util.Random draws); given x,
        // sum(y - x) is a sum of independent zero-mean terms: x_i (keep_i / (1-p) - 1), or for channel dropout
        // X_c (keep_c / (1-p) - 1) with X_c a channel's sum; variance X^2 p / (1-p), bound X max(1, p / (1-p)).
        Nd4j.getRandom().setSeed(1003);
        Random random = new Random(1003);
        long[] shape = {50, 40, 5, 5};
        int n = 50 * 40 * 5 * 5;
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = 0.5f + random.nextFloat();
        }
        INDArray x = Nd4j.create(data, shape, 'c');
        for (double p : new double[] {0.1, 0.5, 0.9}) {
            double ratio = Math.max(1, p / (1 - p));
            // Element-wise.
            float[] y = rowMajor(Functional.dropout(x, p, true, false));
            double diff = 0;
            double variance = 0;
            double bound = 0;
            double rounding = 0;
            for (int i = 0; i < n; i++) {
                diff += y[i] - (double) data[i];
                variance += (double) data[i] * data[i] * p / (1 - p);
                bound = Math.max(bound, data[i] * ratio);
                rounding += Math.abs(y[i]) * 0x1p-23; // y is x * scale rounded to float, twice at most
            }
            double tolerance = bernstein(variance, bound, DELTA) + rounding;
            assertTrue(Math.abs(diff) <= tolerance, "dropout p=" + p + ": mean(y) - mean(x) = " + diff / n
                    + ", bound " + tolerance / n);
            // Channel-wise (dropout2d on (N, C, H, W)): 2000 channels of 25 elements.
            float[] z = rowMajor(Functional.dropout2d(x, p, true, false));
            diff = 0;
            variance = 0;
            bound = 0;
            rounding = 0;
            for (int c = 0; c < n / 25; c++) {
                double channelSum = 0;
                for (int i = c * 25; i < c * 25 + 25; i++) {
                    channelSum += data[i];
                    diff += z[i] - (double) data[i];
                    rounding += Math.abs(z[i]) * 0x1p-23;
                }
                variance += channelSum * channelSum * p / (1 - p);
                bound = Math.max(bound, channelSum * ratio);
            }
            tolerance = bernstein(variance, bound, DELTA) + rounding;
            assertTrue(Math.abs(diff) <= tolerance, "dropout2d p=" + p + ": mean(y) - mean(x) = " + diff / n
                    + ", bound " + tolerance / n);
        }
    }

    @Test
    void consecutiveMasksAreIndependent() {
        // 6 assertions: false failure <= 6e-8. Two calls in a row on 100 000 lanes: a lane dropped in both has
        // probability p^2 (Binomial(n, p^2) count), dropped in the second only p (1 - p).
        Nd4j.getRandom().setSeed(1004);
        int n = 100_000;
        INDArray ones = Nd4j.ones(DataType.FLOAT, n);
        for (double p : new double[] {0.3, 0.5, 0.7}) {
            float[] first = rowMajor(Functional.dropout(ones, p, true, false));
            float[] second = rowMajor(Functional.dropout(ones, p, true, false));
            long both = 0;
            long secondOnly = 0;
            for (int i = 0; i < n; i++) {
                both += first[i] == 0 && second[i] == 0 ? 1 : 0;
                secondOnly += first[i] != 0 && second[i] == 0 ? 1 : 0;
            }
            assertBinomial(both, n, p * p, "dropped in both calls, p=" + p);
            assertBinomial(secondOnly, n, p * (1 - p), "dropped in the second call only, p=" + p);
        }
    }

    @Test
    void neighbouringLanesAreIndependent() {
        // 9 assertions: false failure <= 9e-8. Disjoint pairs of lanes (so that the pairs are independent of
        // each other): (2k, 2k+1), which share one SplitMix64 output in our sampler, (2k+1, 2k+2), which do not,
        // and lanes 64 apart (the same bit of neighbouring mask words). Both dropped: Binomial(pairs, p^2).
        Nd4j.getRandom().setSeed(1005);
        int n = 100_000;
        INDArray ones = Nd4j.ones(DataType.FLOAT, n);
        for (double p : new double[] {0.3, 0.5, 0.7}) {
            float[] y = rowMajor(Functional.dropout(ones, p, true, false));
            for (int[] lagAndOffset : new int[][] {{1, 0}, {1, 1}, {64, 0}}) {
                int lag = lagAndOffset[0];
                int offset = lagAndOffset[1];
                long pairs = 0;
                long both = 0;
                for (int i = offset; i + lag < n; i++) {
                    if ((i - offset) / lag % 2 != 0) {
                        continue; // i is the second lane of a pair
                    }
                    pairs++;
                    both += y[i] == 0 && y[i + lag] == 0 ? 1 : 0;
                }
                assertBinomial(both, pairs, p * p, "lanes " + lag + " apart (offset " + offset + "), p=" + p);
            }
        }
    }

    @Test
    void alphaDropoutKeepsMeanZeroAndVarianceOne() {
        // 4 calls of assertSelfNormalising, 2 Bernstein assertions each: false failure <= 8e-8.
        for (double p : new double[] {0.05, 0.1, 0.2, 0.5}) {
            assertSelfNormalising(p, 1006);
        }
    }

    /**
     * AlphaDropout on 200 000 N(0,1) draws (java.util.Random, fixed seed) keeps mean ~0 and variance ~1.
     * Given the input, the output's sum and sum of squares are sums of independent terms (keep_i - (1-p)) * D_i
     * with D_i the kept-minus-dropped difference, bounded: Bernstein applies, 2 assertions at {@link #DELTA}.
     * The conditional expectations are then the spec's formula applied to the input's own sample moments, which
     * are deterministic (fixed seed) and close to 0 and 1.
     */
    static void assertSelfNormalising(double p, long seed) {
        int n = 200_000;
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        Nd4j.getRandom().setSeed(seed);
        float[] y = rowMajor(Functional.alphaDropout(Nd4j.create(x, new long[] {n}, 'c'), p, true, false));
        double a = AlphaParityTest.a(p);
        double alpha = 1.7580993408473766;
        double keptShift = alpha * a * p;
        double droppedValue = -alpha * a * (1 - p);
        // The constants make N(0,1) input come out with mean 0 and second moment 1 (S60's definition of a).
        assertEquals(0, (1 - p) * keptShift + p * droppedValue, 1e-12);
        assertEquals(1, (1 - p) * (a * a + keptShift * keptShift) + p * droppedValue * droppedValue, 1e-12);

        double sum = 0;
        double sumSquares = 0;
        double expectedSum = 0;
        double expectedSumSquares = 0;
        double variance1 = 0;
        double variance2 = 0;
        double bound1 = 0;
        double bound2 = 0;
        double rounding1 = 0;
        double rounding2 = 0;
        for (int i = 0; i < n; i++) {
            double kept = a * x[i] + keptShift;
            double d1 = kept - droppedValue;
            double d2 = kept * kept - droppedValue * droppedValue;
            sum += y[i];
            sumSquares += (double) y[i] * y[i];
            expectedSum += (1 - p) * kept + p * droppedValue;
            expectedSumSquares += (1 - p) * kept * kept + p * droppedValue * droppedValue;
            variance1 += p * (1 - p) * d1 * d1;
            variance2 += p * (1 - p) * d2 * d2;
            bound1 = Math.max(bound1, Math.abs(d1));
            bound2 = Math.max(bound2, Math.abs(d2));
            // Float32 steps (product, sum) against the exact values: a few ulps of |kept| and |x| a.
            double error = (Math.abs(kept) + Math.abs(a * x[i]) + 1) * 0x1p-22;
            rounding1 += error;
            rounding2 += 2 * (Math.abs(kept) + error) * error;
        }
        double tolerance1 = bernstein(variance1, bound1, DELTA) + rounding1;
        double tolerance2 = bernstein(variance2, bound2, DELTA) + rounding2;
        assertTrue(Math.abs(sum - expectedSum) <= tolerance1, "p=" + p + ": mean " + sum / n + ", expected "
                + expectedSum / n + " +- " + tolerance1 / n);
        assertTrue(Math.abs(sumSquares - expectedSumSquares) <= tolerance2, "p=" + p + ": second moment "
                + sumSquares / n + ", expected " + expectedSumSquares / n + " +- " + tolerance2 / n);
        // Given this input, those expectations are the spec's maps of the input sample's mean and second moment,
        // which for 200 000 N(0,1) draws are within ~3 standard errors of 0 and 1 (deterministic for the fixed
        // seed): so the output's mean is ~0 and its second moment, hence variance, ~1.
        assertEquals(0, expectedSum / n, 0.005, "p=" + p + ": expected output mean");
        assertEquals(1, expectedSumSquares / n, 0.01, "p=" + p + ": expected output second moment");
    }
}
