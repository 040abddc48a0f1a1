package io.github.dl4jtorch.dropout.kernel;

/**
 * A counter-based {@link KeepSampler} built on SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014).
 *
 * <p>Lane {@code i} under key {@code k} is kept when the top 32 bits of {@code mix64(k + (i + 1) * GOLDEN_GAMMA)}
 * fall below {@code round(keepProbability * 2^32)}: keep probabilities are resolved to 2<sup>-32</sup>.
 * SplitMix64's output passes BigCrush; keys are drawn from ND4J's generator, so two masks share a stream
 * only if their keys differ by a multiple of the gamma smaller than their lane counts, which has
 * probability about {@code lanes^2 / 2^64}.
 */
public final class SplitMixKeepSampler implements KeepSampler {

    /** The odd constant SplitMix64 steps its counter by: 2^64 divided by the golden ratio. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    @Override
    public long[] sample(long key, long lanes, double keepProbability) {
        if (lanes < 0) {
            throw new IllegalArgumentException("lanes must be >= 0, got " + lanes);
        }
        if (!(keepProbability > 0 && keepProbability < 1)) {
            throw new IllegalArgumentException("keepProbability must be in (0, 1), got " + keepProbability);
        }
        long words = (lanes + 63) >>> 6;
        if (words > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("mask too large: " + lanes + " lanes");
        }
        long threshold = Math.round(keepProbability * 0x1p32);
        long[] mask = new long[(int) words];
        long counter = key;
        for (long lane = 0; lane < lanes; lane++) {
            counter += GOLDEN_GAMMA;
            long kept = (mix64(counter) >>> 32) < threshold ? 1L : 0L;
            mask[(int) (lane >>> 6)] |= kept << (lane & 63);
        }
        return mask;
    }

    /** SplitMix64's output function (a variant of MurmurHash3's 64-bit finaliser). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
