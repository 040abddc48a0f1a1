package io.github.dl4jtorch.dropout.kernel;

import java.util.stream.LongStream;

/**
 * Walks the elements of an array in chunks small enough to stay in L2, handing each chunk's keep bits and
 * per-thread scratch arrays to a body. Large arrays are spread over all cores: masks are counter-based, so
 * they do not depend on which thread draws which chunk.
 */
final class LaneChunks {

    /** Elements per chunk: 64 KiB of float values; a multiple of 64, so chunks start on whole words. */
    static final int CHUNK_LANES = 1 << 14;

    /** Arrays of fewer chunks than this run on the calling thread alone. */
    private static final int PARALLEL_CHUNKS = 8;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private LaneChunks() {
    }

    /** Where a chunk's keep bits come from: bit {@code i} of {@code words} for element {@code first + i}. */
    interface Bits {
        void fill(long first, int count, long[] words);
    }

    /** What to do with one chunk: elements {@code [first, first + count)}, kept where {@code scratch.keep} says. */
    interface Body {
        void apply(long first, int count, Scratch scratch);
    }

    /** Per-thread arrays for one chunk: its keep bits, and room for its values in float or double. */
    static final class Scratch {
        final long[] words = new long[CHUNK_LANES / 64];
        private float[] floats;
        private double[] doubles;

        /** Whether element {@code i} of the current chunk is kept: 1 or 0. */
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

    /** The bits of a mask whose lane {@code i} is element {@code i}: drawn a word at a time. */
    static Bits rowMajor(KeepSampler sampler, long key, double keepProbability) {
        return (first, count, words) -> sampler.sample(key, keepProbability, first >>> 6, words, (count + 63) >>> 6);
    }

    /**
     * The bits of an element-wise mask for an array of {@code shape} stored column-major: element {@code j} of
     * the buffer is lane {@code sum(index[m] * rowMajorStride[m])} of the (row-major) mask, drawn lane by lane.
     */
    static Bits columnMajor(KeepSampler sampler, long key, double keepProbability, long[] shape) {
        int rank = shape.length;
        long[] rowMajorStrides = new long[rank];
        long stride = 1;
        for (int m = rank - 1; m >= 0; m--) {
            rowMajorStrides[m] = stride;
            stride *= shape[m];
        }
        return (first, count, words) -> {
            java.util.Arrays.fill(words, 0, (count + 63) >>> 6, 0L);
            long[] index = new long[rank]; // the index of element `first`, axis 0 varying fastest
            long rest = first;
            for (int m = 0; m < rank; m++) {
                index[m] = rest % shape[m];
                rest /= shape[m];
            }
            int i = 0;
            while (i < count) {
                long lane = 0;
                for (int m = 0; m < rank; m++) {
                    lane += index[m] * rowMajorStrides[m];
                }
                int run = (int) Math.min(count - i, shape[0] - index[0]); // along axis 0: lanes step by its stride
                for (int r = 0; r < run; r++, i++, lane += rowMajorStrides[0]) {
                    words[i >>> 6] |= (long) sampler.keep(key, keepProbability, lane) << (i & 63);
                }
                index[0] += run;
                for (int m = 0; m < rank - 1 && index[m] == shape[m]; m++) {
                    index[m] = 0;
                    index[m + 1]++;
                }
            }
        };
    }

    /**
     * Runs {@code body} on every chunk of {@code elements} elements after {@code bits} has filled its keep bits,
     * chunks in any order and possibly concurrently (bodies must only touch their own elements).
     */
    static void forEach(long elements, Bits bits, Body body) {
        long chunks = (elements + CHUNK_LANES - 1) / CHUNK_LANES;
        LongStream indices = LongStream.range(0, chunks);
        (chunks >= PARALLEL_CHUNKS ? indices.parallel() : indices).forEach(chunk -> {
            Scratch scratch = SCRATCH.get();
            long first = chunk * CHUNK_LANES;
            int count = (int) Math.min(CHUNK_LANES, elements - first);
            bits.fill(first, count, scratch.words);
            body.apply(first, count, scratch);
        });
    }
}
