package dev.transcriber.standalone.support;

import java.time.Duration;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Threads for a test that must end, whatever the code under test does: every wait on them is bounded and fails the
 * test with an {@link AssertionError} naming what it waited for; closing interrupts whatever still runs
 * ({@code shutdownNow}) and waits a bounded time for it to stop, where {@link ExecutorService#close()} would wait for
 * ever on a hung thread. The threads are daemons, so one stuck where an interrupt does not reach (a blocking socket
 * read) cannot keep the test JVM alive either.
 *
 * <p>Use in a try-with-resources: a failure of the test's body stays the failure reported, and one of the close (a
 * thread that would not stop) is added to it as suppressed.
 */
public final class BoundedThreads implements AutoCloseable {

    /** How long closing waits for interrupted threads to stop. */
    private static final Duration STOPPING = Duration.ofSeconds(10);

    private final String name;
    private final ExecutorService pool;

    private BoundedThreads(String name, ExecutorService pool) {
        this.name = name;
        this.pool = pool;
    }

    /** {@code count} daemon threads named after {@code name}. */
    public static BoundedThreads of(int count, String name) {
        return new BoundedThreads(
                name,
                Executors.newFixedThreadPool(
                        count, Thread.ofPlatform().daemon().name(name + "-", 1).factory()));
    }

    public <T> Future<T> submit(Callable<T> task) {
        return pool.submit(task);
    }

    /**
     * What {@code future} returned, waiting at most {@code timeout}; its failure as an {@link ExecutionException}. An
     * {@link AssertionError} if it has not ended by then (the task is interrupted).
     */
    public static <T> T get(Future<T> future, Duration timeout, String what) throws ExecutionException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new AssertionError(what + " did not end within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** As {@link #get}, for callers that cannot throw a checked exception: a failure is an {@link AssertionError}. */
    public static <T> T join(Future<T> future, Duration timeout, String what) {
        try {
            return get(future, timeout, what);
        } catch (ExecutionException e) {
            throw new AssertionError(what + " failed", e.getCause());
        }
    }

    /** Waits at most {@code timeout} for {@code latch}; an {@link AssertionError} if it is still closed then. */
    public static void await(CountDownLatch latch, Duration timeout, String what) {
        try {
            if (!latch.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(what + " did not happen within " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /**
     * Waits at most {@code timeout} at {@code barrier} for the other parties; an {@link AssertionError} if they do not
     * all come by then, or if the barrier broke (another party timed out or was interrupted).
     */
    public static void await(CyclicBarrier barrier, Duration timeout, String what) {
        try {
            barrier.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | BrokenBarrierException e) {
            throw new AssertionError(what + " did not all arrive within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        }
    }

    /** Interrupts what still runs and waits (bounded) for it to stop. */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(STOPPING.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("threads of " + name + " still run " + STOPPING
                        + " after they were interrupted; left behind (daemon threads)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the threads of " + name, e);
        }
    }
}
