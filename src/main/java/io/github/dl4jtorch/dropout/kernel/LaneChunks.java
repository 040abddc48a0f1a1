package io.github.dl4jtorch.dropout.kernel;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Walks the elements of an array in chunks small enough to stay in L2, handing each chunk's keep bits and
 * per-thread scratch arrays to a body. Masks are counter-based, so they do not depend on which thread draws
 * which chunk.
 *
 * <p>Threads: a large array is shared by the calling thread and at most {@link #THREADS}{@code - 1} helpers
 * from one pool of daemon threads that every call shares, {@code THREADS} being ND4J's own thread count
 * ({@code Nd4j.getEnvironment().maxThreads()}: the size of its OpenMP pool, {@code OMP_NUM_THREADS}, by default
 * the cores) when this class is first used. Concurrent callers (ParallelWrapper workers, say) thus add no
 * threads but themselves; the common ForkJoinPool is not used.
 */
final class LaneChunks {

    /** Elements per chunk: 64 KiB of float values; a multiple of 64, so chunks start on whole words. */
    static final int CHUNK_LANES = 1 << 14;

    /** Threads one call may use, the caller included: ND4J's thread count. */
    static final int THREADS = Math.max(1, Nd4j.getEnvironment().maxThreads());

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
     * The bits of an element-wise mask for a dense array of {@code shape} whose buffer holds the elements with
     * the axes {@code bufferAxes} varying fastest first (column-major: 0, 1, 2, ...; channels-last NCHW: 1, 3, 2,
     * 0); axes of size 1 may be left out. Element {@code j} of the buffer is lane
     * {@code sum(index[m] * rowMajorStride[m])} of the (row-major) mask, drawn lane by lane.
     */
    static Bits inBufferOrder(KeepSampler sampler, long key, double keepProbability, long[] shape, int[] bufferAxes) {
        int rank = bufferAxes.length;
        long[] sizes = new long[rank];
        long[] laneSteps = new long[rank]; // row-major strides of the mask, in buffer order
        for (int m = 0; m < rank; m++) {
            sizes[m] = shape[bufferAxes[m]];
            long stride = 1;
            for (int axis = bufferAxes[m] + 1; axis < shape.length; axis++) {
                stride *= shape[axis];
            }
            laneSteps[m] = stride;
        }
        return (first, count, words) -> {
            java.util.Arrays.fill(words, 0, (count + 63) >>> 6, 0L);
            long[] index = new long[rank]; // the index of element `first`, in buffer order
            long rest = first;
            for (int m = 0; m < rank; m++) {
                index[m] = rest % sizes[m];
                rest /= sizes[m];
            }
            int i = 0;
            while (i < count) {
                long lane = 0;
                for (int m = 0; m < rank; m++) {
                    lane += index[m] * laneSteps[m];
                }
                int run = (int) Math.min(count - i, sizes[0] - index[0]); // along the fastest axis: lanes step evenly
                for (int r = 0; r < run; r++, i++, lane += laneSteps[0]) {
                    words[i >>> 6] |= (long) sampler.keep(key, keepProbability, lane) << (i & 63);
                }
                index[0] += run;
                for (int m = 0; m < rank - 1 && index[m] == sizes[m]; m++) {
                    index[m] = 0;
                    index[m + 1]++;
                }
            }
        };
    }

    /**
     * Runs {@code body} on every chunk of {@code elements} elements after {@code bits} has filled its keep bits,
     * chunks in any order and possibly concurrently (bodies must only touch their own elements). Returns or throws
     * only once no chunk is running and none will start: when a chunk fails, the chunks not yet started are
     * skipped, and the first failure is thrown.
     */
    static void forEach(long elements, Bits bits, Body body) {
        forEach(elements, bits, body, Helpers.POOL, THREADS - 1);
    }

    /** {@link #forEach(long, Bits, Body)} with up to {@code helpers} helpers from {@code pool} (tests choose them). */
    static void forEach(long elements, Bits bits, Body body, Executor pool, int helpers) {
        long chunks = (elements + CHUNK_LANES - 1) / CHUNK_LANES;
        Run run = new Run(elements, chunks, bits, body);
        try {
            long wanted = chunks >= PARALLEL_CHUNKS ? Math.min(helpers, chunks - 1) : 0;
            for (long h = 0; h < wanted; h++) {
                pool.execute(run::help);
            }
            run.work();
        } catch (Throwable e) {
            run.fail(e);
        }
        run.end();
    }

    /**
     * One call's chunks. Chunks are claimed from a shared counter by the caller and by helpers; a helper that
     * starts after the caller has ended the run does nothing, and the caller waits for those that started.
     */
    private static final class Run {
        private final long elements;
        private final long chunks;
        private final Bits bits;
        private final Body body;
        private final AtomicLong nextChunk = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** Helpers inside {@link #work}; guarded by this. */
        private int working;
        /** Whether the caller has ended the run; guarded by this. */
        private boolean ended;

        Run(long elements, long chunks, Bits bits, Body body) {
            this.elements = elements;
            this.chunks = chunks;
            this.bits = bits;
            this.body = body;
        }

        void help() {
            synchronized (this) {
                if (ended) {
                    return;
                }
                working++;
            }
            try {
                work();
            } finally {
                synchronized (this) {
                    if (--working == 0) {
                        notifyAll();
                    }
                }
            }
        }

        void work() {
            Scratch scratch = SCRATCH.get();
            long chunk;
            while (failure.get() == null && (chunk = nextChunk.getAndIncrement()) < chunks) {
                long first = chunk * CHUNK_LANES;
                int count = (int) Math.min(CHUNK_LANES, elements - first);
                try {
                    bits.fill(first, count, scratch.words);
                    body.apply(first, count, scratch);
                } catch (Throwable e) {
                    fail(e);
                }
            }
        }

        void fail(Throwable e) {
            Throwable first = failure.compareAndExchange(null, e);
            if (first != null && first != e) {
                first.addSuppressed(e);
            }
        }

        /** Waits, uninterruptibly, until no helper works on this run and none will; then throws its failure. */
        void end() {
            boolean interrupted = false;
            synchronized (this) {
                ended = true;
                while (working > 0) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable e = failure.get();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e instanceof Error error) {
                throw error;
            }
            if (e != null) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The shared helper threads, started by the first parallel call; idle ones exit after a minute. */
    private static final class Helpers {
        /** With one thread no helper is ever asked for: any executor will do. */
        static final Executor POOL = THREADS == 1 ? Runnable::run : pool(THREADS - 1);

        private static Executor pool(int threads) {
            AtomicInteger created = new AtomicInteger();
            ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), task -> {
                        Thread thread = new Thread(task, "dl4j-torch-dropout-" + created.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
            pool.allowCoreThreadTimeOut(true);
            return pool;
        }
    }
}
