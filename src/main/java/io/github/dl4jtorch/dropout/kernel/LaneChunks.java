package io.github.dl4jtorch.dropout.kernel;

import java.util.stream.LongStream;

/**
 * Walks the lanes of a mask in chunks small enough to stay in L2, drawing each chunk's keep bits once and
 * handing them to a body together with per-thread scratch arrays. Large masks are spread over all cores:
 * the sampler is counter-based, so the mask does not depend on which thread draws which chunk.
 */
final class LaneChunks {

    /** Lanes per chunk: 64 KiB of float values. */
    static final int CHUNK_LANES = 1 << 14;

    /** Masks of fewer chunks than this run on the calling thread alone. */
    private static final int PARALLEL_CHUNKS = 8;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private LaneChunks() {
    }

    /** What to do with one chunk: lanes {@code [firstLane, firstLane + lanes)}, kept where {@code keep} says. */
    interface Body {
        void apply(long firstLane, int lanes, Scratch scratch);
    }

    /** Per-thread arrays for one chunk: its keep bits, and room for its values in float or double. */
    static final class Scratch {
        final long[] words = new long[CHUNK_LANES / 64];
        private float[] floats;
        private double[] doubles;

        /** Whether lane {@code i} of the current chunk is kept: 1 or 0. */
        int keep(int i) {
            return (int) (words[i >>> 6] >>> (i & 63)) & 1;
        }

        float[] floats() {
            if (floats == null) {
                floats = new float[CHUNK_LANES];
            }
            return floats;
        }

        double[] doubles() {
            if (doubles == null) {
                doubles = new double[CHUNK_LANES];
            }
            return doubles;
        }
    }

    /**
     * Runs {@code body} on every chunk of a mask of {@code lanes} lanes drawn by {@code sampler} under
     * {@code key}, chunks in any order and possibly concurrently (bodies must only touch their own lanes).
     */
    static void forEach(KeepSampler sampler, long key, double keepProbability, long lanes, Body body) {
        long chunks = (lanes + CHUNK_LANES - 1) / CHUNK_LANES;
        LongStream indices = LongStream.range(0, chunks);
        (chunks >= PARALLEL_CHUNKS ? indices.parallel() : indices).forEach(chunk -> {
            Scratch scratch = SCRATCH.get();
            long firstLane = chunk * CHUNK_LANES;
            int chunkLanes = (int) Math.min(CHUNK_LANES, lanes - firstLane);
            sampler.sample(key, keepProbability, firstLane >>> 6, scratch.words, (chunkLanes + 63) >>> 6);
            body.apply(firstLane, chunkLanes, scratch);
        });
    }
}
