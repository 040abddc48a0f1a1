package io.github.dl4jtorch.dropout.kernel;

/**
 * A counter-based {@link KeepSampler} built on SplitMix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014).
 *
 * <p>Each 64-bit output {@code mix64(key + (j + 1) * GOLDEN_GAMMA)} decides two lanes: its low 32 bits lane
 * {@code 2j}, its high 32 bits lane {@code 2j + 1}. A lane is kept when its 32 bits, unsigned, fall below
 * {@code round(keepProbability * 2^32)}: keep probabilities are resolved to 2<sup>-32</sup>. SplitMix64's
 * output passes BigCrush. Keys come from ND4J's generator, so two masks share part of a stream only if their
 * keys differ by a multiple of the gamma smaller than their lane counts, which has probability about
 * {@code lanes^2 / 2^64}.
 */
public final class SplitMixKeepSampler implements KeepSampler {

    /** The odd constant SplitMix64 steps its counter by: 2^64 divided by the golden ratio. */
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    @Override
    public void sample(long key, double keepProbability, long firstWord, long[] words, int count) {
        if (!(keepProbability > 0 && keepProbability < 1)) {
            throw new IllegalArgumentException("keepProbability must be in (0, 1), got " + keepProbability);
        }
        if (firstWord < 0 || count < 0 || count > words.length) {
            throw new IllegalArgumentException("bad word range: firstWord " + firstWord + ", count " + count
                    + ", words.length " + words.length);
        }
        long threshold = Math.round(keepProbability * 0x1p32);
        // Word w holds lanes 64w..64w+63, decided by outputs 32w..32w+31.
        long counter = key + 32 * firstWord * GOLDEN_GAMMA;
        for (int k = 0; k < count; k++) {
            long word = 0;
            for (int pair = 0; pair < 32; pair++) {
                counter += GOLDEN_GAMMA;
                long bits = mix64(counter);
                long even = ((bits & 0xFFFFFFFFL) - threshold) >>> 63; // 1 when below the threshold
                long odd = ((bits >>> 32) - threshold) >>> 63;
                word |= (even | odd << 1) << (2 * pair);
            }
            words[k] = word;
        }
    }

    @Override
    public int keep(long key, double keepProbability, long lane) {
        long bits = mix64(key + ((lane >>> 1) + 1) * GOLDEN_GAMMA) >>> ((lane & 1) << 5);
        return (int) (((bits & 0xFFFFFFFFL) - Math.round(keepProbability * 0x1p32)) >>> 63);
    }

    /** A keep probability and its threshold, {@code round(keepProbability * 2^32)}. */
    private record Threshold(double keepProbability, long value) {
    }

    /**
     * The last threshold worked out: tiles draw a short run per row, and rounding the probability again for each costs
     * as much as the run. One immutable pair, so threads never see a probability with another's threshold.
     */
    private volatile Threshold lastThreshold = new Threshold(0.5, 1L << 31);

    @Override
    public void keep(long key, double keepProbability, long firstLane, int count, float[] out, int offset,
                     int stride) {
        Threshold last = lastThreshold;
        if (last.keepProbability() != keepProbability) {
            last = new Threshold(keepProbability, Math.round(keepProbability * 0x1p32));
            lastThreshold = last;
        }
        long threshold = last.value();
        long counter = key + ((firstLane >>> 1) + 1) * GOLDEN_GAMMA; // the output deciding lane firstLane
        int k = 0;
        int at = offset;
        if ((firstLane & 1) != 0 && count > 0) { // the run starts on an output's high half
            out[at] = (((mix64(counter) >>> 32) - threshold) >>> 63);
            counter += GOLDEN_GAMMA;
            k = 1;
            at += stride;
        }
        for (; k + 1 < count; k += 2, at += 2 * stride, counter += GOLDEN_GAMMA) {
            long bits = mix64(counter);
            out[at] = (((bits & 0xFFFFFFFFL) - threshold) >>> 63);
            out[at + stride] = (((bits >>> 32) - threshold) >>> 63);
        }
        if (k < count) { // the run ends on an output's low half
            out[at] = (((mix64(counter) & 0xFFFFFFFFL) - threshold) >>> 63);
        }
    }

    /** SplitMix64's output function (a variant of MurmurHash3's 64-bit finaliser). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
