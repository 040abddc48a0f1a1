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

    /** Elements per chunk: 64 KiB of float values (and as much of keep decisions), which stay in L2. */
    static final int CHUNK_LANES = 1 << 14;

    /** The most elements a chunk may have: tiles of a large inner block take up to four times the usual. */
    static final int MAX_CHUNK_LANES = 4 * CHUNK_LANES;

    /** Threads one call may use, the caller included: ND4J's thread count. */
    static final int THREADS = Math.max(1, Nd4j.getEnvironment().maxThreads());

    /** Arrays of fewer chunks than this run on the calling thread alone. */
    private static final int PARALLEL_CHUNKS = 8;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private LaneChunks() {
    }

    /**
     * Where a chunk's keep decisions come from: {@code keep[i]} (1 kept, 0 dropped) for element {@code first + i}
     * of the buffer, {@code i < count}.
     */
    interface Bits {
        void fill(long first, int count, float[] keep);

        /** Elements per chunk, at most {@link #MAX_CHUNK_LANES}; chunks start at multiples of it. */
        default int chunkLanes() {
            return CHUNK_LANES;
        }
    }

    /** What to do with one chunk: elements {@code [first, first + count)}, kept where {@code scratch.keep} says. */
    interface Body {
        void apply(long first, int count, Scratch scratch);
    }

    /** Per-thread arrays for one chunk: its keep decisions, and room for its values in float or double. */
    static final class Scratch {
        /** 1 where an element is kept, 0 where it is dropped: a factor, so that applying it vectorises. */
        float[] keep = new float[CHUNK_LANES];
        private float[] floats;
        private double[] doubles;

        /** Whether element {@code i} of the current chunk is kept: 1 or 0. */
        int keep(int i) {
            return (int) keep[i];
        }

        float[] floats() {
            if (floats == null || floats.length < keep.length) {
                floats = new float[keep.length];
            }
            return floats;
        }

        double[] doubles() {
            if (doubles == null || doubles.length < keep.length) {
                doubles = new double[keep.length];
            }
            return doubles;
        }

        /** Makes room for chunks of {@code lanes} elements. */
        void fit(int lanes) {
            if (keep.length < lanes) {
                keep = new float[lanes];
            }
        }
    }

    /** The decisions of a mask whose lane {@code i} is element {@code i}: drawn a run at a time. */
    static Bits rowMajor(KeepSampler sampler, long key, double keepProbability) {
        return (first, count, keep) -> sampler.keep(key, keepProbability, first, count, keep, 0, 1);
    }

    /**
     * The decisions of an element-wise mask for a dense array of {@code shape} whose buffer holds the elements with
     * the axes {@code bufferAxes} varying fastest first (column-major: 0, 1, 2, ...; channels-last NCHW: 1, 3, 2,
     * 0); axes of size 1 are left out. Element {@code j} of the buffer is lane {@code sum(index[m] * rowMajorStride[m])}
     * of the (row-major) mask.
     *
     * <p>Lanes are drawn in runs of consecutive lanes, which is what the sampler does fast: along the mask's last
     * axis {@code z}. When {@code z} is the buffer's fastest axis, the buffer's runs are such runs. Otherwise a chunk
     * is a tile: whole columns of the <em>inner block</em> (the axes faster than {@code z} in the buffer), {@code k}
     * consecutive values of {@code z} ({@code k} at least 4, so that a run is at least two outputs). Each inner
     * element's {@code k} lanes are consecutive: they are drawn as one run and written across the tile's columns, as
     * a transposed matrix. Inner blocks larger than a chunk are drawn lane by lane.
     */
    static Bits elementWise(KeepSampler sampler, long key, double keepProbability, long[] shape, int[] bufferAxes) {
        long[][] axes = coalesce(sizes(shape, bufferAxes),
                java.util.Arrays.stream(bufferAxes).mapToLong(axis -> rowMajorStride(shape, axis)).toArray());
        long[] sizes = axes[0];
        long[] laneSteps = axes[1]; // row-major strides of the mask, in buffer order
        int rank = sizes.length;
        int z = 0; // where the mask's last axis (lane step 1) sits in buffer order
        long inner = 1;
        while (z < rank && laneSteps[z] != 1) {
            inner *= sizes[z++];
        }
        if (z == 0 || inner > CHUNK_LANES) {
            return (first, count, keep) -> walkRuns(first, count, sizes, laneSteps, (at, length, lane, step) -> {
                if (step == 1) {
                    sampler.keep(key, keepProbability, lane, length, keep, at, 1);
                } else {
                    for (int r = 0; r < length; r++) {
                        keep[at + r] = sampler.keep(key, keepProbability, lane + r * step);
                    }
                }
            });
        }
        int innerSize = (int) inner;
        long[] innerLanes = new long[innerSize]; // the lane offset of each element of the inner block
        walkRuns(0, innerSize, sizes, laneSteps, (at, length, lane, step) -> {
            for (int r = 0; r < length; r++) {
                innerLanes[at + r] = lane + r * step;
            }
        });
        long columns = sizes[z];
        long[] outerSizes = java.util.Arrays.copyOfRange(sizes, z + 1, rank);
        long[] outerSteps = java.util.Arrays.copyOfRange(laneSteps, z + 1, rank);
        int chunkLanes = Math.max(4, CHUNK_LANES / innerSize) * innerSize;
        return new Bits() {
            @Override
            public void fill(long first, int count, float[] keep) {
                long column = first / innerSize; // counted over all outer indices: outer * columns + z
                int tileColumns = count / innerSize;
                for (int c = 0; c < tileColumns; ) {
                    long zIndex = (column + c) % columns;
                    int run = (int) Math.min(tileColumns - c, columns - zIndex);
                    long firstLane = laneOf((column + c) / columns, outerSizes, outerSteps) + zIndex;
                    for (int i = 0; i < innerSize; i++) {
                        sampler.keep(key, keepProbability, firstLane + innerLanes[i], run, keep, c * innerSize + i,
                                innerSize);
                    }
                    c += run;
                }
            }

            @Override
            public int chunkLanes() {
                return chunkLanes;
            }
        };
    }

    /**
     * The decisions of a mask shared along some axes (channel-wise, say), for a dense array of {@code shape} held
     * in the order {@code bufferAxes} (as for {@link #elementWise}): the whole mask of {@code maskShape} (the shape
     * with shared axes set to 1) is drawn once, on the calling thread, and each chunk copies its elements' decisions
     * from it.
     */
    static Bits shared(KeepSampler sampler, long key, double keepProbability, long[] shape, long[] maskShape,
                       int[] bufferAxes) {
        long maskLanes = java.util.Arrays.stream(maskShape).reduce(1, Math::multiplyExact);
        float[] mask = new float[Math.toIntExact(maskLanes)];
        sampler.keep(key, keepProbability, 0, mask.length, mask, 0, 1);
        long[][] axes = coalesce(sizes(shape, bufferAxes), java.util.Arrays.stream(bufferAxes)
                .mapToLong(axis -> maskShape[axis] == 1 ? 0 : rowMajorStride(maskShape, axis)).toArray());
        long[] sizes = axes[0];
        long[] laneSteps = axes[1]; // row-major strides of the mask in buffer order, 0 along shared axes
        return (first, count, keep) -> walkRuns(first, count, sizes, laneSteps, (at, length, lane, step) -> {
            if (step == 0) {
                java.util.Arrays.fill(keep, at, at + length, mask[(int) lane]);
            } else if (step == 1) {
                System.arraycopy(mask, (int) lane, keep, at, length);
            } else {
                for (int r = 0; r < length; r++) {
                    keep[at + r] = mask[(int) (lane + r * step)];
                }
            }
        });
    }

    /** A run of {@code length} elements of a chunk from {@code at}, whose lanes are {@code lane + r * step}. */
    private interface RunSink {
        void run(int at, int length, long lane, long step);
    }

    /**
     * Walks buffer elements {@code [first, first + count)} of a dense array of axis {@code sizes} (buffer order,
     * fastest first) run by run along the fastest axis, where {@code laneSteps} says how far a step along each axis
     * moves in the mask.
     */
    private static void walkRuns(long first, int count, long[] sizes, long[] laneSteps, RunSink sink) {
        int rank = sizes.length;
        if (rank == 0) {
            sink.run(0, count, 0, 0);
            return;
        }
        long[] index = new long[rank]; // the index of element `first`, in buffer order
        long rest = first;
        long lane = 0;
        for (int m = 0; m < rank; m++) {
            index[m] = rest % sizes[m];
            rest /= sizes[m];
            lane += index[m] * laneSteps[m];
        }
        int i = 0;
        while (i < count) {
            int run = (int) Math.min(count - i, sizes[0] - index[0]);
            sink.run(i, run, lane, laneSteps[0]);
            i += run;
            index[0] += run;
            lane += run * laneSteps[0];
            for (int m = 0; m < rank - 1 && index[m] == sizes[m]; m++) {
                lane += laneSteps[m + 1] - sizes[m] * laneSteps[m];
                index[m] = 0;
                index[m + 1]++;
            }
        }
    }

    /** The lane offset of index number {@code flat} over axes of {@code sizes} (fastest first) and lane steps. */
    private static long laneOf(long flat, long[] sizes, long[] laneSteps) {
        long lane = 0;
        for (int m = 0; m < sizes.length; m++) {
            lane += flat % sizes[m] * laneSteps[m];
            flat /= sizes[m];
        }
        return lane;
    }

    /**
     * Axis sizes and lane steps (buffer order, fastest first) with each axis merged into the one before it when a
     * step along it moves as far in the mask as a whole run of the one before (row-major arrays become one axis):
     * {@code {sizes, laneSteps}}. Fewer, longer runs.
     */
    private static long[][] coalesce(long[] sizes, long[] laneSteps) {
        int rank = 0;
        long[] mergedSizes = new long[sizes.length];
        long[] mergedSteps = new long[sizes.length];
        for (int m = 0; m < sizes.length; m++) {
            if (rank > 0 && laneSteps[m] == mergedSteps[rank - 1] * mergedSizes[rank - 1]) {
                mergedSizes[rank - 1] *= sizes[m];
            } else {
                mergedSizes[rank] = sizes[m];
                mergedSteps[rank++] = laneSteps[m];
            }
        }
        return new long[][] {java.util.Arrays.copyOf(mergedSizes, rank), java.util.Arrays.copyOf(mergedSteps, rank)};
    }

    private static long rowMajorStride(long[] shape, int axis) {
        long stride = 1;
        for (int a = axis + 1; a < shape.length; a++) {
            stride *= shape[a];
        }
        return stride;
    }

    private static long[] sizes(long[] shape, int[] bufferAxes) {
        return java.util.Arrays.stream(bufferAxes).mapToLong(axis -> shape[axis]).toArray();
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
        Run run = new Run(elements, bits, body);
        try {
            long wanted = run.chunks >= PARALLEL_CHUNKS ? Math.min(helpers, run.chunks - 1) : 0;
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
        private final int chunkLanes;
        private final long chunks;
        private final Bits bits;
        private final Body body;
        private final AtomicLong nextChunk = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** Helpers inside {@link #work}; guarded by this. */
        private int working;
        /** Whether the caller has ended the run; guarded by this. */
        private boolean ended;

        Run(long elements, Bits bits, Body body) {
            this.elements = elements;
            this.chunkLanes = bits.chunkLanes();
            this.chunks = (elements + chunkLanes - 1) / chunkLanes;
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
            scratch.fit(chunkLanes);
            long chunk;
            while (failure.get() == null && (chunk = nextChunk.getAndIncrement()) < chunks) {
                long first = chunk * chunkLanes;
                int count = (int) Math.min(chunkLanes, elements - first);
                try {
                    bits.fill(first, count, scratch.keep);
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
