package dev.transcriber.standalone.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Runs contenders at the same moment, each on a thread of its own (as workers in separate processes would), and
 * gives back what each returned, in order; a contender's failure is what it returned ({@link Outcome#failure}).
 */
public final class Race {

    /** What one contender returned, or what it threw. */
    public record Outcome<T>(T value, Throwable failure) {

        public boolean succeeded() {
            return failure == null;
        }
    }

    /** How long the contenders have to be all ready to start. */
    private static final Duration STARTING = Duration.ofSeconds(30);

    /** How long the whole race has, from its start. */
    private static final Duration RUNNING = Duration.ofSeconds(60);

    private Race() {}

    /**
     * Runs the contenders and gives back their outcomes. Every wait is bounded: contenders that do not all start
     * within {@link #STARTING}, or a race not over within {@link #RUNNING}, fail the test with an
     * {@link AssertionError}, and the contenders still running are interrupted ({@link BoundedThreads}).
     */
    public static <T> List<Outcome<T>> run(List<Callable<T>> contenders) {
        CountDownLatch ready = new CountDownLatch(contenders.size());
        CountDownLatch go = new CountDownLatch(1);
        try (BoundedThreads threads = BoundedThreads.of(contenders.size(), "race")) {
            List<Future<T>> running = new ArrayList<>();
            for (Callable<T> contender : contenders) {
                running.add(threads.submit(() -> {
                    ready.countDown();
                    BoundedThreads.await(go, STARTING, "the start of the race");
                    return contender.call();
                }));
            }
            BoundedThreads.await(ready, STARTING, "the start of all " + contenders.size() + " contenders");
            go.countDown();
            long over = System.nanoTime() + RUNNING.toNanos();
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (int i = 0; i < running.size(); i++) {
                Duration left = Duration.ofNanos(Math.max(0, over - System.nanoTime()));
                try {
                    T value = BoundedThreads.get(
                            running.get(i),
                            left,
                            "contender " + (i + 1) + " of " + running.size() + " (the race's " + RUNNING + ")");
                    outcomes.add(new Outcome<>(value, null));
                } catch (ExecutionException e) {
                    outcomes.add(new Outcome<>(null, e.getCause()));
                }
            }
            return outcomes;
        }
    }

    /** {@code contender} run {@code times} at once. */
    public static <T> List<Outcome<T>> run(int times, Callable<T> contender) {
        return run(java.util.Collections.nCopies(times, contender));
    }
}
