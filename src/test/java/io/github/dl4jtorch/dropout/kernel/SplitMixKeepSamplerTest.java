package io.github.dl4jtorch.dropout.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SplitMixKeepSampler} against its documented contract. The reference is the JDK's own SplitMix64,
 * {@link SplittableRandom}: {@code new SplittableRandom(key)}'s j-th {@code nextLong()} is
 * {@code mix64(key + (j + 1) * GOLDEN_GAMMA)}, the output the sampler's Javadoc says decides lanes 2j (low 32
 * bits) and 2j + 1 (high 32 bits).
 */
class SplitMixKeepSamplerTest {

    private final KeepSampler sampler = new SplitMixKeepSampler();

    /** The documented mask, from the JDK's SplitMix64. */
    private static boolean[] reference(long key, int lanes, double keepProbability) {
        long threshold = Math.round(keepProbability * 0x1p32);
        SplittableRandom random = new SplittableRandom(key);
        boolean[] kept = new boolean[lanes];
        for (int lane = 0; lane < lanes; lane += 2) {
            long bits = random.nextLong();
            kept[lane] = (bits & 0xFFFFFFFFL) < threshold;
            if (lane + 1 < lanes) {
                kept[lane + 1] = (bits >>> 32) < threshold;
            }
        }
        return kept;
    }

    private static boolean[] lanes(long[] mask, int lanes) {
        boolean[] kept = new boolean[lanes];
        for (int i = 0; i < lanes; i++) {
            kept[i] = KeepSampler.isKept(mask, i);
        }
        return kept;
    }

    @Test
    void matchesTheDocumentedSplitMix64Stream() {
        for (long key : new long[] {0, 1, -1, 0x123456789ABCDEFL, Long.MIN_VALUE, Long.MAX_VALUE}) {
            for (double q : new double[] {0.1, 0.5, 0.85, 0.999}) {
                for (int n : new int[] {1, 2, 63, 64, 65, 1000, 20_000}) {
                    assertArrayEquals(reference(key, n, q), lanes(sampler.sample(key, n, q), n),
                            "key " + key + " q " + q + " lanes " + n);
                }
            }
        }
    }

    @Test
    void sameKeyGivesTheSameMask() {
        long[] first = sampler.sample(42, 5000, 0.5);
        long[] second = sampler.sample(42, 5000, 0.5);
        assertArrayEquals(first, second);
        // Shorter masks under the same key are prefixes of longer ones (lane i depends on (key, i, q) only).
        long[] shorter = sampler.sample(42, 1000, 0.5);
        assertArrayEquals(lanes(first, 1000), lanes(shorter, 1000));
    }

    @Test
    void differentKeysGiveDifferentMasks() {
        // 5000 lanes at q = 0.5: two independent masks are equal with probability 2^-5000.
        long[] base = sampler.sample(42, 5000, 0.5);
        for (long key : new long[] {43, 41, -42, 42 + 0x9E3779B97F4A7C15L * 5000, 42L << 32}) {
            assertFalse(Arrays.equals(base, sampler.sample(key, 5000, 0.5)), "key " + key);
        }
        // Keys one gamma apart share the stream shifted by two lanes: the documented (rare) overlap.
        long[] shifted = sampler.sample(42 + 0x9E3779B97F4A7C15L, 4998, 0.5);
        boolean[] baseLanes = lanes(base, 5000);
        assertArrayEquals(Arrays.copyOfRange(baseLanes, 2, 5000), lanes(shifted, 4998));
    }

    @Test
    void bitsPastTheLastLaneAreZero() {
        for (int n : new int[] {1, 2, 31, 63, 64, 65, 100, 127, 128, 129, 16_385}) {
            // q close to 1: nearly every lane is kept, so stray bits would show.
            long[] mask = sampler.sample(7, n, 0.999999);
            assertEquals((n + 63) / 64, mask.length, "words for " + n + " lanes");
            int used = n % 64;
            if (used != 0) {
                assertEquals(0, mask[mask.length - 1] >>> used, "bits past lane " + n);
            }
            // P(any of up to 16 385 lanes dropped at q = 1 - 1e-6) <= 0.017: count, do not demand all.
            int kept = 0;
            for (int i = 0; i < n; i++) {
                kept += KeepSampler.isKept(mask, i) ? 1 : 0;
            }
            assertEquals(kept, Arrays.stream(mask).map(Long::bitCount).sum(), "set bits are all lanes");
        }
    }

    @Test
    void zeroLanesGiveAnEmptyMask() {
        assertEquals(0, sampler.sample(1, 0, 0.5).length);
        long[] words = {-1L};
        sampler.sample(1, 0.5, 0, words, 0);
        assertEquals(-1L, words[0], "count 0 writes nothing");
    }

    @Test
    void chunksAgreeWithTheWholeMask() {
        long key = 0xC0FFEEL;
        double q = 0.3;
        int wordsTotal = 300;
        long[] whole = sampler.sample(key, wordsTotal * 64L, q);
        for (int[] chunk : new int[][] {{0, 1}, {0, 300}, {1, 1}, {17, 100}, {256, 44}, {299, 1}}) {
            long[] words = new long[chunk[1] + 3];
            sampler.sample(key, q, chunk[0], words, chunk[1]);
            assertArrayEquals(Arrays.copyOfRange(whole, chunk[0], chunk[0] + chunk[1]),
                    Arrays.copyOf(words, chunk[1]), "words " + chunk[0] + ".." + (chunk[0] + chunk[1]));
        }
        // Words far out (lane 2^36): still the documented stream, output 2^35 + j.
        long firstWord = 1L << 30;
        long[] far = new long[2];
        sampler.sample(key, q, firstWord, far, 2);
        long threshold = Math.round(q * 0x1p32);
        SplittableRandom random = new SplittableRandom(key + 32 * firstWord * 0x9E3779B97F4A7C15L);
        for (int lane = 0; lane < 128; lane += 2) {
            long bits = random.nextLong();
            assertEquals((bits & 0xFFFFFFFFL) < threshold, KeepSampler.isKept(far, lane), "far lane " + lane);
            assertEquals((bits >>> 32) < threshold, KeepSampler.isKept(far, lane + 1), "far lane " + (lane + 1));
        }
    }

    @Test
    void runsOfLanesMatchTheDocumentedMaskFromAnyLaneAtAnyStride() {
        // A run may start and end on either half of an output, be written with a stride (across a tile's rows),
        // and lie far out; the interface's lane-by-lane default must agree with the sampler's own runs.
        KeepSampler laneByLane = new KeepSampler() {
            @Override
            public void sample(long key, double keepProbability, long firstWord, long[] words, int count) {
                sampler.sample(key, keepProbability, firstWord, words, count);
            }

            @Override
            public int keep(long key, double keepProbability, long lane) {
                return sampler.keep(key, keepProbability, lane);
            }
        };
        double q = 0.6;
        boolean[] expected = reference(99, 300, q);
        for (KeepSampler runs : new KeepSampler[] {sampler, laneByLane}) {
            for (long first : new long[] {0, 1, 2, 7, 100}) {
                for (int count : new int[] {0, 1, 2, 3, 64, 101}) {
                    for (int stride : new int[] {1, 3}) {
                        float[] out = new float[1 + count * stride];
                        java.util.Arrays.fill(out, -1f);
                        runs.keep(99, q, first, count, out, 1, stride);
                        for (int i = 0; i < out.length; i++) {
                            boolean written = i >= 1 && (i - 1) % stride == 0;
                            float want = written ? (expected[(int) first + (i - 1) / stride] ? 1f : 0f) : -1f;
                            assertEquals(want, out[i], "first " + first + " count " + count + " stride " + stride
                                    + " element " + i);
                        }
                    }
                }
            }
            float[] far = new float[5];
            long farLane = (1L << 45) + 1;
            runs.keep(-5, q, farLane, 5, far, 0, 1);
            for (int i = 0; i < 5; i++) {
                assertEquals(sampler.keep(-5, q, farLane + i), far[i], "far lane " + i);
            }
        }
    }

    @Test
    void singleLaneDecisionsMatchTheDocumentedMask() {
        for (long key : new long[] {0, 42, -1L, Long.MIN_VALUE}) {
            for (double q : new double[] {0.1, 0.5, 0.77}) {
                boolean[] expected = reference(key, 1001, q);
                for (int lane = 0; lane < expected.length; lane++) {
                    assertEquals(expected[lane] ? 1 : 0, sampler.keep(key, q, lane), "key " + key + " lane " + lane);
                }
                // Far lanes too: the decision is a function of the lane alone, not of what was drawn before.
                long[] far = new long[2];
                long farWord = (1L << 40) + 3;
                sampler.sample(key, q, farWord, far, 2);
                for (int i = 0; i < 128; i++) {
                    long bit = far[i >>> 6] >>> (i & 63) & 1;
                    assertEquals(bit, sampler.keep(key, q, farWord * 64 + i), "far lane " + i);
                }
            }
        }
    }

    @Test
    void keepProbabilityIsResolvedToTwoToTheMinus32() {
        // q = 2^-32: threshold 1, a lane is kept only when its 32 bits are all 0.
        boolean[] rare = lanes(sampler.sample(3, 10_000, 0x1p-32), 10_000);
        boolean[] referenceRare = reference(3, 10_000, 0x1p-32);
        assertArrayEquals(referenceRare, rare);
        // A probability below 2^-33 rounds to a zero threshold: never kept.
        long[] never = sampler.sample(3, 10_000, 0x1p-34);
        assertTrue(Arrays.stream(never).allMatch(w -> w == 0));
    }

    @Test
    void rejectsBadArguments() {
        for (double q : new double[] {0, 1, -0.5, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, 10, q));
            assertTrue(e.getMessage().contains("keepProbability"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, q, 0, new long[1], 1));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, -1, 0.5));
        assertTrue(e.getMessage().contains("lanes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, Long.MAX_VALUE, 0.5));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, 0.5, -1, new long[1], 1));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, 0.5, 0, new long[1], -1));
        assertThrows(IllegalArgumentException.class, () -> sampler.sample(1, 0.5, 0, new long[1], 2));
    }

    @Test
    void isKeptReadsBitIOfWordIOver64() {
        long[] mask = {1L | 1L << 63, 1L << 1};
        assertTrue(KeepSampler.isKept(mask, 0));
        assertFalse(KeepSampler.isKept(mask, 1));
        assertTrue(KeepSampler.isKept(mask, 63));
        assertFalse(KeepSampler.isKept(mask, 64));
        assertTrue(KeepSampler.isKept(mask, 65));
    }
}
