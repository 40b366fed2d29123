package dev.transcriber.common.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How long each step of a job takes, as the Micrometer timer {@code transcriber.stage} tagged with the step: where
 * a request's time goes, on a dashboard and in the latency benchmark alike.
 */
public class StageTimers {

    public static final String METER = "transcriber.stage";

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();

    public StageTimers(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Runs {@code work} and records how long it took under {@code stage}, whether it returned or threw. */
    public <T> T time(String stage, Supplier<T> work) {
        long started = System.nanoTime();
        try {
            return work.get();
        } finally {
            since(stage, started);
        }
    }

    /** Records the time from {@code startedNanos} (a {@link System#nanoTime()} reading) to now under {@code stage}. */
    public void since(String stage, long startedNanos) {
        timers.computeIfAbsent(stage, s -> Timer.builder(METER).tag("stage", s).register(registry))
                .record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    }
}
