package io.github.dl4jtorch.dropout.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** {@link LaneChunks#forEach}: which chunks run, on which threads, and how a failing chunk ends a call. */
class LaneChunksTest {

    private static final LaneChunks.Bits NO_BITS = (first, count, keep) -> { };

    @Test
    void everyChunkRunsOncePastTwoToThe31Elements() {
        long elements = (1L << 31) + 100; // 131 073 chunks, the last of 100 elements
        int chunks = (int) ((elements + LaneChunks.CHUNK_LANES - 1) / LaneChunks.CHUNK_LANES);
        AtomicIntegerArray runs = new AtomicIntegerArray(chunks);
        AtomicInteger wrongCounts = new AtomicInteger();
        LaneChunks.forEach(elements, NO_BITS, (first, count, scratch) -> {
            runs.incrementAndGet((int) (first / LaneChunks.CHUNK_LANES));
            long expected = Math.min(LaneChunks.CHUNK_LANES, elements - first);
            if (first % LaneChunks.CHUNK_LANES != 0 || count != expected) {
                wrongCounts.incrementAndGet();
            }
        });
        for (int chunk = 0; chunk < chunks; chunk++) {
            assertEquals(1, runs.get(chunk), "chunk " + chunk);
        }
        assertEquals(0, wrongCounts.get(), "chunks must start on whole chunks and hold the right counts");
    }

    @Test
    void threadsAreTheCallerAndTheKernelsOwnHelpersAtMostNd4jsThreadCount() {
        assertEquals(Math.max(1, Nd4j.getEnvironment().maxThreads()), LaneChunks.THREADS);
        // Three callers at once: each runs on its own thread and shares the helpers with the others.
        int callers = 3;
        Set<Thread> helpers = ConcurrentHashMap.newKeySet();
        Set<String> strangers = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostRunning = new AtomicInteger();
        Set<Thread> callerThreads = ConcurrentHashMap.newKeySet();
        Runnable call = () -> {
            Thread caller = Thread.currentThread();
            callerThreads.add(caller);
            LaneChunks.forEach(64L * LaneChunks.CHUNK_LANES, NO_BITS, (first, count, scratch) -> {
                mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                Thread thread = Thread.currentThread();
                if (thread != caller) {
                    helpers.add(thread);
                    if (!thread.getName().startsWith("dl4j-torch-dropout-")) {
                        strangers.add(thread.getName());
                    }
                }
                busyWait();
                running.decrementAndGet();
            });
        };
        Thread[] threads = new Thread[callers];
        for (int c = 0; c < callers; c++) {
            threads[c] = new Thread(call);
            threads[c].start();
        }
        for (Thread thread : threads) {
            join(thread);
        }
        assertEquals(callers, callerThreads.size());
        assertEquals(Set.of(), strangers, "threads other than the callers and the kernel's helpers");
        helpers.removeAll(callerThreads);
        assertTrue(helpers.size() <= LaneChunks.THREADS - 1, helpers.size() + " helper threads");
        assertTrue(mostRunning.get() <= callers + LaneChunks.THREADS - 1, mostRunning.get() + " chunks at once");
    }

    @Test
    void aFailingChunkStopsTheOthersBeforeTheCallThrows() {
        assertStopsCleanly(LaneChunks.THREADS,
                body -> LaneChunks.forEach(64L * LaneChunks.CHUNK_LANES, NO_BITS, body));
        // And with four threads whatever the machine: the caller and three helpers of a pool of our own.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            assertStopsCleanly(4, body -> LaneChunks.forEach(64L * LaneChunks.CHUNK_LANES, NO_BITS, body, pool, 3));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The calling thread's first chunk fails once chunks on the other {@code threads - 1} threads are under way;
     * those take a while and then write. The call must throw that chunk's exception only after they have written,
     * and start no chunk after the failure but the ones already claimed.
     */
    private static void assertStopsCleanly(int threads, Consumer<LaneChunks.Body> forEach) {
        RuntimeException failure = new IllegalStateException("a chunk fails");
        Thread caller = Thread.currentThread();
        CountDownLatch othersUnderWay = new CountDownLatch(threads - 1);
        AtomicBoolean ended = new AtomicBoolean();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        AtomicInteger writesAfterTheEnd = new AtomicInteger();
        LaneChunks.Body body = (first, count, scratch) -> {
            started.incrementAndGet();
            running.incrementAndGet();
            try {
                if (Thread.currentThread() == caller) {
                    await(othersUnderWay);
                    throw failure;
                }
                othersUnderWay.countDown();
                sleep(50); // still working when the caller's chunk fails
                if (ended.get()) {
                    writesAfterTheEnd.incrementAndGet();
                }
            } finally {
                running.decrementAndGet();
            }
        };
        RuntimeException thrown = assertThrows(RuntimeException.class, () -> forEach.accept(body));
        ended.set(true);
        int runningAtTheEnd = running.get();
        sleep(200); // time for a chunk that outlived the call to write
        assertEquals(0, runningAtTheEnd, "chunks still running when the call threw");
        assertEquals(0, writesAfterTheEnd.get(), "writes after the call threw");
        assertSame(failure, thrown, "the failing chunk's own exception");
        // Each thread had a chunk in hand at the failure; it may have claimed one more before seeing it.
        assertTrue(started.get() <= 2 * threads, started.get() + " chunks of 64 started");
    }

    private static void busyWait() {
        long until = System.nanoTime() + 200_000;
        while (System.nanoTime() < until) {
            Thread.onSpinWait();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
