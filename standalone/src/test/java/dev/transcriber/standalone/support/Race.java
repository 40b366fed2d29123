package dev.transcriber.standalone.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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

    private Race() {}

    public static <T> List<Outcome<T>> run(List<Callable<T>> contenders) {
        CountDownLatch ready = new CountDownLatch(contenders.size());
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newFixedThreadPool(contenders.size())) {
            List<Future<T>> running = new ArrayList<>();
            for (Callable<T> contender : contenders) {
                running.add(threads.submit(() -> {
                    ready.countDown();
                    go.await();
                    return contender.call();
                }));
            }
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the contenders did not all start");
            }
            go.countDown();
            List<Outcome<T>> outcomes = new ArrayList<>();
            for (Future<T> future : running) {
                try {
                    outcomes.add(new Outcome<>(future.get(60, TimeUnit.SECONDS), null));
                } catch (ExecutionException e) {
                    outcomes.add(new Outcome<>(null, e.getCause()));
                }
            }
            return outcomes;
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the race did not end", e);
        }
    }

    /** {@code contender} run {@code times} at once. */
    public static <T> List<Outcome<T>> run(int times, Callable<T> contender) {
        return run(java.util.Collections.nCopies(times, contender));
    }
}
