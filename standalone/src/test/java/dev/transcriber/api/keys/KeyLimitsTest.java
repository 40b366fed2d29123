package dev.transcriber.api.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.standalone.support.BoundedThreads;
import dev.transcriber.standalone.support.ManualClock;
import dev.transcriber.standalone.support.SliceInfrastructure;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * A key's limits checked before a job is accepted, against a real PostgreSQL: submissions racing each other never
 * pass a key's cap on unfinished jobs together, the cap counts only the key's own unfinished jobs, a key that queues
 * over its cap is held rather than refused, and the daily audio allowance resets at midnight UTC of the injected
 * clock.
 */
class KeyLimitsTest {

    private static final Instant BEFORE_MIDNIGHT = Instant.parse("2025-03-10T23:59:30Z");
    private static final Instant MIDNIGHT = Instant.parse("2025-03-11T00:00:00Z");

    private static SliceInfrastructure.Database database;

    private final ManualClock clock = new ManualClock(BEFORE_MIDNIGHT);
    private final JdbcClient jdbc = database.jdbc();
    private final KeyLimits limits = new KeyLimits(jdbc, clock);

    @BeforeAll
    static void start() {
        database = SliceInfrastructure.database("key_limits");
    }

    @AfterAll
    static void stop() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void submissionsRacingEachOtherNeverPassTheCapTogether() throws Exception {
        int cap = 3;
        int submissions = 12;
        Caller caller = key(null, cap, "refuse");
        CyclicBarrier together = new CyclicBarrier(submissions);

        List<Object> outcomes = new ArrayList<>();
        try (BoundedThreads threads = BoundedThreads.of(submissions, "submissions")) {
            List<Future<UUID>> calls = new ArrayList<>();
            for (int i = 0; i < submissions; i++) {
                // as JobSubmission.save: in the job's transaction, the key's slot and then the job's row
                calls.add(threads.submit(() -> database.transactions().execute(status -> {
                    BoundedThreads.await(together, Duration.ofSeconds(30), "the submissions");
                    limits.takeSlot(caller);
                    return job(caller.keyId(), "QUEUED");
                })));
            }
            for (Future<UUID> call : calls) {
                try {
                    outcomes.add(BoundedThreads.get(call, Duration.ofSeconds(60), "a submission"));
                } catch (ExecutionException e) {
                    outcomes.add(e.getCause());
                }
            }
        }

        assertThat(outcomes).filteredOn(UUID.class::isInstance).hasSize(cap);
        assertThat(outcomes)
                .filteredOn(outcome -> !(outcome instanceof UUID))
                .hasSize(submissions - cap)
                .allSatisfy(refusal -> assertThat(refusal).isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
                    assertThat(e.code()).isEqualTo("concurrent_jobs_exceeded");
                }));
        assertThat(unfinished(caller.keyId())).isEqualTo(cap);
        assertThatThrownBy(() -> limits.checkBeforeSubmit(caller))
                .isInstanceOfSatisfying(
                        ApiException.class,
                        e -> assertThat(e.getMessage())
                                .isEqualTo("This API key already has 3 unfinished jobs; its limit is 3."
                                        + " Try again when one has finished."));
    }

    @Test
    void theCapCountsOnlyTheKeysOwnUnfinishedJobsNotPiecesBatchItemsOrFinishedOnes() {
        Caller caller = key(null, 2, "refuse");
        Caller other = key(null, null, "refuse");
        UUID running = job(caller.keyId(), "RUNNING");
        piece(running, caller.keyId(), 0);
        piece(running, caller.keyId(), 1);
        batchItem(caller.keyId());
        batchItem(caller.keyId());
        job(caller.keyId(), "SUCCEEDED");
        job(caller.keyId(), "FAILED");
        job(caller.keyId(), "CANCELLED");
        job(other.keyId(), "QUEUED");
        job(other.keyId(), "QUEUED");

        assertThatCode(() -> inTransaction(() -> limits.takeSlot(caller))).doesNotThrowAnyException();
        assertThat(limits.checkBeforeSubmit(caller)).isEqualTo(KeyLimits.Admission.NOW);

        job(caller.keyId(), "QUEUED");

        assertThatThrownBy(() -> inTransaction(() -> limits.takeSlot(caller)))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code()).isEqualTo("concurrent_jobs_exceeded"));
        assertThatThrownBy(() -> limits.checkBeforeSubmit(caller)).isInstanceOf(ApiException.class);
    }

    @Test
    void aKeyThatQueuesOverItsCapIsHeldAndAKeyWithoutACapIsNeverCounted() {
        Caller queues = key(null, 1, "queue");
        Caller uncapped = key(null, null, "refuse");
        for (int i = 0; i < 3; i++) {
            job(queues.keyId(), "RUNNING");
            job(uncapped.keyId(), "RUNNING");
        }

        assertThat(limits.checkBeforeSubmit(queues)).isEqualTo(KeyLimits.Admission.HELD);
        assertThat(limits.checkBeforeSubmit(uncapped)).isEqualTo(KeyLimits.Admission.NOW);
        assertThatCode(() -> inTransaction(() -> {
                    limits.takeSlot(queues);
                    limits.takeSlot(uncapped);
                }))
                .doesNotThrowAnyException();
    }

    @Test
    void theDailyAudioAllowanceCountsTodayUtcOnlyAndResetsAtMidnight() {
        Caller caller = key(600, null, "refuse");
        Instant today = Instant.parse("2025-03-10T00:00:00Z");
        used(caller.keyId(), today.minusSeconds(1), 3_600); // yesterday's
        used(caller.keyId(), today, 300); // the first instant of today counts
        used(caller.keyId(), today.plus(Duration.ofHours(20)), 299);

        assertThatCode(() -> limits.checkDailyAudio(caller)).doesNotThrowAnyException();

        used(caller.keyId(), today.plus(Duration.ofHours(23)), 1);

        assertThatThrownBy(() -> limits.checkDailyAudio(caller)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
            assertThat(e.code()).isEqualTo("rate_limit_exceeded");
            assertThat(e.resetsAt()).isEqualTo(MIDNIGHT);
            assertThat(e.getMessage()).isEqualTo("Rate limit exceeded. Usage resets at 2025-03-11T00:00:00Z.");
        });
        assertThatThrownBy(() -> limits.checkBeforeSubmit(caller)).isInstanceOf(ApiException.class);

        clock.set(MIDNIGHT.minusMillis(1));
        assertThatThrownBy(() -> limits.checkDailyAudio(caller)).isInstanceOf(ApiException.class);
        clock.set(MIDNIGHT);
        assertThatCode(() -> limits.checkDailyAudio(caller)).doesNotThrowAnyException();
        assertThat(limits.checkBeforeSubmit(caller)).isEqualTo(KeyLimits.Admission.NOW);
    }

    @Test
    void anotherKeysAudioDoesNotCount() {
        Caller caller = key(60, null, "refuse");
        Caller other = key(60, null, "refuse");
        used(other.keyId(), BEFORE_MIDNIGHT.minusSeconds(60), 3_600);

        assertThatCode(() -> limits.checkDailyAudio(caller)).doesNotThrowAnyException();
        assertThatThrownBy(() -> limits.checkDailyAudio(other)).isInstanceOf(ApiException.class);
    }

    private void inTransaction(Runnable work) {
        database.transactions().executeWithoutResult(status -> work.run());
    }

    /** A stored key with these limits, as the api's authentication makes its caller. */
    private Caller key(Integer audioSecondsPerDay, Integer maxConcurrentJobs, String mode) {
        UUID id = UUID.randomUUID();
        jdbc.sql("insert into api_keys (id, name, key_hash, key_prefix, created_at, audio_seconds_per_day,"
                        + " max_concurrent_jobs, concurrent_jobs_mode) values (:id, :name, :hash, 'sk-test',"
                        + " now(), :audio, :jobs, :mode)")
                .param("id", id)
                .param("name", "key-" + id)
                .param("hash", "hash-" + id)
                .param("audio", audioSecondsPerDay)
                .param("jobs", maxConcurrentJobs)
                .param("mode", mode)
                .update();
        return new Caller(
                id, "key-" + id, List.of(), audioSecondsPerDay, maxConcurrentJobs, mode.equals("queue"), null);
    }

    private UUID job(UUID key, String state) {
        return insertJob(key, state, null, null, null);
    }

    private void piece(UUID parent, UUID key, int index) {
        insertJob(key, "QUEUED", parent, index, null);
    }

    private void batchItem(UUID key) {
        UUID batch = UUID.randomUUID();
        jdbc.sql("insert into transcription_batches (id, api_key_id, state, source_kind, source, options, created_at)"
                        + " values (:id, :key, 'IN_PROGRESS', 'ITEMS', '[]', '{}', now())")
                .param("id", batch)
                .param("key", key)
                .update();
        insertJob(key, "QUEUED", null, null, batch);
    }

    private UUID insertJob(UUID key, String state, UUID parent, Integer pieceIndex, UUID batch) {
        UUID id = UUID.randomUUID();
        jdbc.sql("insert into transcription_jobs (id, api_key_id, state, model, response_format, object_key,"
                        + " size_bytes, created_at, parent_id, piece_index, batch_id, batch_index) values (:id, :key,"
                        + " :state, 'whisper-1', 'json', :object, 1000, now(), :parent, :piece, :batch, :item)")
                .param("id", id)
                .param("key", key)
                .param("state", state)
                .param("object", "audio/" + id)
                .param("parent", parent)
                .param("piece", pieceIndex)
                .param("batch", batch)
                .param("item", batch == null ? null : 0)
                .update();
        return id;
    }

    private void used(UUID key, Instant finishedAt, double audioSeconds) {
        jdbc.sql("insert into usage_ledger (job_id, api_key_id, model, finished_at, audio_seconds) values (:job, :key,"
                        + " 'whisper-1', :finished, :seconds)")
                .param("job", UUID.randomUUID())
                .param("key", key)
                .param("finished", Timestamp.from(finishedAt))
                .param("seconds", audioSeconds)
                .update();
    }

    private int unfinished(UUID key) {
        return jdbc.sql("select count(*) from transcription_jobs where api_key_id = :key and state in ('QUEUED',"
                        + " 'RUNNING')")
                .param("key", key)
                .query(Integer.class)
                .single();
    }
}
