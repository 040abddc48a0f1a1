package io.github.dl4jtorch.dropout.kernel;

/**
 * The source of every keep/drop decision: one Bernoulli draw per lane of a mask.
 *
 * <p>Implementations must be <em>counter-based</em>: the decision for lane {@code i} of the mask drawn
 * under {@code key} is a pure function of {@code (key, i, keepProbability)}. That is what lets backprop
 * regenerate the forward pass's mask from its key instead of storing it, and what makes a mask independent
 * of how the work is split across threads. Distinct keys must give independent masks.
 *
 * <p>This is the one seam where mask generation can be replaced (by a faster or vectorised generator)
 * without touching anything else.
 */
public interface KeepSampler {

    /**
     * Draws the mask for lanes {@code [0, lanes)}.
     *
     * @param key             identifies the mask; the same key gives the same mask
     * @param lanes           number of lanes (mask elements), at least 0
     * @param keepProbability probability that a lane is kept, in (0, 1)
     * @return {@code ceil(lanes / 64)} words; lane {@code i} is kept when bit {@code i & 63} of word
     *         {@code i >>> 6} is 1. Bits past {@code lanes} are 0.
     */
    long[] sample(long key, long lanes, double keepProbability);

    /** Whether lane {@code lane} is kept in a mask returned by {@link #sample}. */
    static boolean isKept(long[] mask, long lane) {
        return (mask[(int) (lane >>> 6)] >>> (lane & 63) & 1L) != 0;
    }
}
