package dev.transcriber.common.metrics;

import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Jobs that ended, counted where every end is announced ({@code JobEnds}), once the transaction that ended them has
 * committed (a rolled-back end is not counted):
 *
 * <ul>
 *   <li>{@code transcriber.jobs.finished}: tagged {@code outcome} (succeeded, failed, cancelled), {@code failure_code}
 *       (the {@link FailureCode} in lower case, {@code none} unless failed), {@code lane} and {@code model};
 *   <li>{@code transcriber.audio.processed} (seconds): the probed length of the audio of jobs that succeeded by an
 *       upstream call (a job that took an earlier job's transcript is not counted), tagged {@code lane} and
 *       {@code model}.
 * </ul>
 *
 * Jobs, not pieces: a piece's end is its job's business. Every tag value comes from a closed set (the catalog's
 * models, three lanes, the failure codes), so the series stay few. Both services count (the api the jobs its callers
 * cancel), so a dashboard sums over instances.
 */
public class JobMetrics {

    public static final String FINISHED = "transcriber.jobs.finished";
    public static final String AUDIO = "transcriber.audio.processed";

    private final MeterRegistry registry;

    public JobMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** {@code job} has ended in the current transaction (if any): counted after it commits. */
    public void ended(EndedJob job) {
        Ended ended = new Ended(
                job.state(),
                job.failureCode(),
                job.lane().name().toLowerCase(Locale.ROOT),
                job.model(),
                job.reusedFrom() == null ? job.durationSeconds() : null);
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    count(ended);
                }
            });
        } else {
            count(ended);
        }
    }

    private void count(Ended ended) {
        Counter.builder(FINISHED)
                .description("Jobs that ended, by outcome, failure code, lane and model")
                .tag("outcome", ended.state().name().toLowerCase(Locale.ROOT))
                .tag(
                        "failure_code",
                        ended.failure() == null
                                ? "none"
                                : ended.failure().name().toLowerCase(Locale.ROOT))
                .tag("lane", ended.lane())
                .tag("model", ended.model())
                .register(registry)
                .increment();
        if (ended.state() == JobState.SUCCEEDED && ended.audioSeconds() != null && ended.audioSeconds() > 0) {
            Counter.builder(AUDIO)
                    .description("Seconds of audio transcribed by the upstream, by lane and model")
                    .baseUnit("seconds")
                    .tag("lane", ended.lane())
                    .tag("model", ended.model())
                    .register(registry)
                    .increment(ended.audioSeconds());
        }
    }

    private record Ended(JobState state, FailureCode failure, String lane, String model, Double audioSeconds) {}
}
