package io.github.dl4jtorch.dropout.kernel;

/**
 * The source of every keep/drop decision: one Bernoulli draw per lane of a mask, delivered as bits, 64 lanes
 * to a word.
 *
 * <p>Implementations must be <em>counter-based</em>: the decision for lane {@code i} of the mask drawn under
 * {@code key} is a pure function of {@code (key, i, keepProbability)}, whatever range of words a call asks
 * for. That is what lets backprop regenerate the forward pass's mask from its key instead of storing it, and
 * lets the work be split into chunks or across threads without changing the mask. Distinct keys must give
 * independent masks.
 *
 * <p>This is the one seam where mask generation can be replaced (by a faster or vectorised generator)
 * without touching anything else.
 */
public interface KeepSampler {

    /**
     * Draws words {@code [firstWord, firstWord + count)} of the mask: lanes {@code 64 * firstWord} to
     * {@code 64 * (firstWord + count) - 1}. Lane {@code 64 * (firstWord + k) + b} is kept when bit {@code b} of
     * {@code words[k]} is 1.
     *
     * @param key             identifies the mask; the same key gives the same mask
     * @param keepProbability probability that a lane is kept, in (0, 1)
     * @param firstWord       index of the first word to draw, at least 0
     * @param words           receives the words
     * @param count           how many words to draw, at most {@code words.length}
     */
    void sample(long key, double keepProbability, long firstWord, long[] words, int count);

    /**
     * The decision for one lane, for callers that visit lanes out of order: 1 if lane {@code lane} of the mask
     * drawn under {@code key} is kept, else 0; always the corresponding bit of {@link #sample}.
     */
    int keep(long key, double keepProbability, long lane);

    /**
     * The decisions for a run of consecutive lanes, as floats (1 kept, 0 dropped: factors the caller can multiply
     * by, in loops the JIT vectorises): {@code out[offset + k * stride]} receives
     * {@link #keep(long, double, long) keep}{@code (key, keepProbability, firstLane + k)} for {@code k} in
     * {@code [0, count)}. A stride other than 1 writes the run across the rows of a tile (see {@code LaneChunks}).
     * Implementations should draw the run faster than lane by lane.
     */
    default void keep(long key, double keepProbability, long firstLane, int count, float[] out, int offset,
                      int stride) {
        for (int k = 0; k < count; k++) {
            out[offset + k * stride] = keep(key, keepProbability, firstLane + k);
        }
    }

    /**
     * The whole mask of {@code lanes} lanes: {@code ceil(lanes / 64)} words, lane {@code i} kept when bit
     * {@code i & 63} of word {@code i >>> 6} is 1; bits past {@code lanes} are 0.
     */
    default long[] sample(long key, long lanes, double keepProbability) {
        if (lanes < 0 || lanes > 64L * (Integer.MAX_VALUE - 8)) {
            throw new IllegalArgumentException("lanes must be in [0, 2^37), got " + lanes);
        }
        long[] words = new long[(int) ((lanes + 63) >>> 6)];
        sample(key, keepProbability, 0, words, words.length);
        if ((lanes & 63) != 0) {
            words[words.length - 1] &= -1L >>> (64 - (lanes & 63));
        }
        return words;
    }

    /** Whether lane {@code lane} is kept in a mask returned by {@link #sample(long, long, double)}. */
    static boolean isKept(long[] mask, long lane) {
        return (mask[(int) (lane >>> 6)] >>> (lane & 63) & 1L) != 0;
    }
}
