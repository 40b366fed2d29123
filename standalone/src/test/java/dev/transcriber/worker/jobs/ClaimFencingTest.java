package dev.transcriber.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.audio.AudioSplitter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The worker's writes of a claimed job, on a real PostgreSQL: fenced on the claim (a worker whose lease ran out cannot
 * overwrite the next claim's work), lease renewals by SQL survive JPA updates of rows loaded earlier, and the reaper
 * goes on past a row it cannot recover. The worker's Kafka listeners are stopped and its reaper waits an hour, so the
 * test alone moves the jobs.
 */
class ClaimFencingTest {

    private static TestSystem.Isolated isolated;
    private static ConfigurableApplicationContext worker;

    private JobLifecycle lifecycle;
    private JobRepository jobs;
    private JdbcClient jdbc;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(List.of("--transcriber.worker.reaper-interval=1h"), List.of());
        worker = isolated.system().worker();
        worker.getBean(KafkaListenerEndpointRegistry.class).stop();
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @BeforeEach
    void beans() {
        lifecycle = worker.getBean(JobLifecycle.class);
        jobs = worker.getBean(JobRepository.class);
        jdbc = JdbcClient.create(worker.getBean(DataSource.class));
    }

    @Test
    void writesOfAWorkerWhoseLeaseRanOutAreDroppedAndTheNextClaimsResultStands() {
        JobId id = queuedJob();
        Claim a = lifecycle
                .claim(id, "worker-a", Duration.ofMinutes(2))
                .orElseThrow()
                .claim();
        expireLease(id, Duration.ofSeconds(1));
        worker.getBean(Leases.class).recoverAbandoned();
        assertThat(jobs.findById(id.value()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
        Claim b = lifecycle
                .claim(id, "worker-b", Duration.ofMinutes(2))
                .orElseThrow()
                .claim();
        assertThat(b.number()).isEqualTo(2);
        double staleBefore = staleWrites();

        assertThatThrownBy(() -> lifecycle.startCutting(a)).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.addPiece(a, piece(id))).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.finishCutting(a, 30.0, 1)).isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> lifecycle.fail(a, FailureCode.UPSTREAM_ERROR, "from worker a"))
                .isInstanceOf(StaleClaimException.class);
        assertThatThrownBy(() -> succeed(a, text("from worker a"), "account-a", 3.0))
                .isInstanceOf(StaleClaimException.class);
        assertThat(lifecycle.holds(b)).isTrue();

        succeed(b, text("from worker b"), "account-b", 3.0);
        assertThatThrownBy(() -> succeed(a, text("from worker a"), "account-a", 3.0))
                .isInstanceOf(StaleClaimException.class);

        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(job.transcriptJson()).contains("from worker b").doesNotContain("from worker a");
        assertThat(job.upstreamAccount()).isEqualTo("account-b");
        assertThat(job.failureCode()).isNull();
        assertThat(job.attempts()).isEqualTo(2);
        assertThat(jobs.findPieces(id.value())).isEmpty();
        assertThat(staleWrites() - staleBefore).isEqualTo(6);
    }

    @Test
    void aJobHandedBackIsQueuedWithoutSpendingAnAttemptAndTheOldClaimIsFencedEvenForTheSameWorker() {
        JobId id = queuedJob();
        Claim first = lifecycle
                .claim(id, "worker-a", Duration.ofMinutes(2))
                .orElseThrow()
                .claim();

        assertThat(lifecycle.handBack(id, "worker-other")).isFalse();
        assertThat(lifecycle.handBack(id, "worker-a")).isTrue();

        TranscriptionJob handedBack = jobs.findById(id.value()).orElseThrow();
        assertThat(handedBack.state()).isEqualTo(JobState.QUEUED);
        assertThat(handedBack.leaseOwner()).isNull();
        assertThat(handedBack.attempts()).isZero();
        assertThatThrownBy(() -> lifecycle.fail(first, FailureCode.UPSTREAM_ERROR, "interrupted"))
                .isInstanceOf(StaleClaimException.class);

        Claim second = lifecycle
                .claim(id, "worker-a", Duration.ofMinutes(2))
                .orElseThrow()
                .claim();
        assertThat(second.number()).isEqualTo(2);
        assertThatThrownBy(() -> succeed(first, text("late"), "account-a", 1.0))
                .isInstanceOf(StaleClaimException.class);
        succeed(second, text("on time"), "account-a", 1.0);

        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        assertThat(job.transcriptJson()).contains("on time");
        assertThat(job.attempts()).isEqualTo(1);
    }

    @Test
    void aLeaseRenewedBySqlBetweenALoadAndAJpaSaveIsKept() {
        JobId id = queuedJob();
        lifecycle.claim(id, "worker-a", Duration.ofMinutes(2)).orElseThrow();
        Instant renewed = Instant.now().plus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.MICROS);
        PlatformTransactionManager transactions = worker.getBean(PlatformTransactionManager.class);
        TransactionTemplate renewal = new TransactionTemplate(transactions);
        renewal.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);

        new TransactionTemplate(transactions).executeWithoutResult(status -> {
            TranscriptionJob loaded = jobs.findById(id.value()).orElseThrow();
            Integer renewedRows = renewal.execute(r -> jobs.renewLeases(List.of(id.value()), "worker-a", renewed));
            assertThat(renewedRows).isEqualTo(1);
            loaded.measured(42.0); // a change of another column, written when this transaction commits
        });

        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        assertThat(job.durationSeconds()).isEqualTo(42.0);
        assertThat(job.leaseUntil()).isEqualTo(renewed);
    }

    @Test
    void theReaperRecoversTheOtherJobsWhenOneRowCannotBeRecovered() {
        JobId unreadable = queuedJob();
        JobId abandoned = queuedJob();
        lifecycle.claim(unreadable, "worker-gone", Duration.ofMinutes(2)).orElseThrow();
        lifecycle.claim(abandoned, "worker-gone", Duration.ofMinutes(2)).orElseThrow();
        expireLease(unreadable, Duration.ofMinutes(2)); // first in the reaper's order
        expireLease(abandoned, Duration.ofMinutes(1));
        jdbc.sql("update transcription_jobs set metadata = '{not json' where id = :id")
                .param("id", unreadable.value())
                .update();
        try {
            worker.getBean(Leases.class).recoverAbandoned();

            assertThat(jobs.findById(abandoned.value()).orElseThrow().state()).isEqualTo(JobState.QUEUED);
            assertThat(worker.getBean(MeterRegistry.class)
                            .get("transcriber.jobs.recovery.failures")
                            .counter()
                            .count())
                    .isGreaterThanOrEqualTo(1);
        } finally {
            jdbc.sql("delete from transcription_jobs where id = :id")
                    .param("id", unreadable.value())
                    .update();
        }
    }

    /**
     * A held job runs only once the admission scheduler releases it: an event naming it (a stale one, from before it
     * failed and was retried held) does not start it past its key's cap.
     */
    @Test
    void anEventNamingAHeldJobDoesNotStartIt() {
        JobId id = JobId.random();
        TranscriptionJob held = newJob(id);
        held.hold();
        jobs.save(held);

        assertThat(lifecycle.claim(id, "worker-a", Duration.ofMinutes(2))).isEmpty();

        assertThat(jobs.findById(id.value()).orElseThrow().state()).isEqualTo(JobState.HELD);
    }

    private JobId queuedJob() {
        JobId id = JobId.random();
        jobs.save(newJob(id));
        return id;
    }

    private static TranscriptionJob newJob(JobId id) {
        return TranscriptionJob.queued(
                id,
                null,
                Lane.INTERACTIVE,
                new JobSpec("whisper-1", "json", null, null, null),
                new StoredAudio("audio/" + id, "clip.wav", "audio/wav", 1000),
                Instant.now());
    }

    private void expireLease(JobId id, Duration ago) {
        jdbc.sql("update transcription_jobs set lease_until = now() - make_interval(secs => :seconds) where id = :id")
                .param("seconds", (double) ago.toSeconds())
                .param("id", id.value())
                .update();
    }

    private static AudioSplitter.StoredPiece piece(JobId id) {
        return new AudioSplitter.StoredPiece(
                0, "pieces/" + id + "/" + UUID.randomUUID(), 1000, new PieceSpan(0, 30, 0, 30));
    }

    private static Transcript text(String text) {
        return new Transcript(text, "en", 3.0, null);
    }

    private static double staleWrites() {
        return worker.getBean(MeterRegistry.class).find(ClaimFence.STALE_WRITES).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
    }

    /** The success of the run under {@code claim}, as that run writes it. */
    private void succeed(Claim claim, Transcript transcript, String account, double durationSeconds) {
        lifecycle.succeed(
                RunUnder.claim(claim, jobs.findById(claim.job().value()).orElseThrow()),
                transcript,
                account,
                durationSeconds);
    }
}
