package dev.transcriber.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.WorkerSlice;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataIntegrityViolationException;

/**
 * The insert of a new job without the persistence context ({@link JobInserts}) on a real PostgreSQL: it belongs to
 * the surrounding transaction (gone when that rolls back), or alone commits as it returns; it writes the row as the
 * entity maps it, and a broken unique key surfaces at the insert as Spring's {@link DataIntegrityViolationException}, which the api's callers catch to
 * answer a request sent twice at once as a replay.
 */
class JobInsertsTest {

    private static WorkerSlice slice;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(JobInsertsTest.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @Test
    void aJobInsertedInATransactionThatRollsBackLeavesNoRow() {
        JobId id = JobId.random();

        assertThatThrownBy(() -> slice.transactions().executeWithoutResult(status -> {
                    slice.jobs().insert(job(id, null));
                    throw new IllegalStateException("the caller fails after the insert");
                }))
                .isInstanceOf(IllegalStateException.class);

        assertThat(slice.jobs().findById(id.value())).isEmpty();
    }

    @Test
    void anInsertedJobReadsBackAsItWasWritten() {
        UUID key = slice.apiKey("inserts", k -> {});
        JobId id = JobId.random();
        TranscriptionJob written = job(id, key);
        written.idempotent("request-1", "digest-1");
        written.tracedFrom("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        slice.transactions().executeWithoutResult(status -> slice.jobs().insert(written));

        TranscriptionJob read = slice.job(id);
        assertThat(read.state()).isEqualTo(JobState.QUEUED);
        assertThat(read.apiKeyId()).isEqualTo(key);
        assertThat(read.spec()).isEqualTo(written.spec());
        assertThat(read.audio()).isEqualTo(written.audio());
        assertThat(read.metadata()).isEqualTo(Map.of("episode", "7"));
        assertThat(read.webhookUrl()).isEqualTo("https://hooks.example.test/done");
        assertThat(read.requestHash()).isEqualTo("digest-1");
        assertThat(read.traceparent()).isEqualTo(written.traceparent());
        assertThat(read.createdAt()).isEqualTo(written.createdAt());
        // the row is versioned like one JPA persisted: a later change through the entity commits
        slice.change(id, job -> job.cancel(slice.clock().instant()));
        assertThat(slice.job(id).state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aSecondJobWithTheSameIdempotencyKeyIsRefusedAtTheInsert() {
        UUID key = slice.apiKey("replays", k -> {});
        TranscriptionJob first = job(JobId.random(), key);
        first.idempotent("request-2", "digest-2");
        slice.transactions().executeWithoutResult(status -> slice.jobs().insert(first));
        TranscriptionJob second = job(JobId.random(), key);
        second.idempotent("request-2", "digest-2");

        assertThatThrownBy(() -> slice.transactions()
                        .executeWithoutResult(status -> slice.jobs().insert(second)))
                .isInstanceOf(DataIntegrityViolationException.class);

        assertThat(slice.jobs().findById(second.id().value())).isEmpty();
    }

    @Test
    void aJobInsertedAloneIsCommittedWhenTheInsertReturnsAndReadsBackAsWritten() {
        UUID key = slice.apiKey("alone", k -> {});
        JobId id = JobId.random();
        TranscriptionJob written = job(id, key);
        written.idempotent("request-3", "digest-3");

        slice.jobs().insertAlone(written); // no transaction around it

        TranscriptionJob read = slice.job(id); // another connection sees it: committed
        assertThat(read.state()).isEqualTo(JobState.QUEUED);
        assertThat(read.spec()).isEqualTo(written.spec());
        assertThat(read.audio()).isEqualTo(written.audio());
        assertThat(read.requestHash()).isEqualTo("digest-3");
        assertThat(read.createdAt()).isEqualTo(written.createdAt());
        slice.change(id, job -> job.cancel(slice.clock().instant()));
        assertThat(slice.job(id).state()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void aJobInsertedAloneWithAnIdempotencyKeyAlreadyTakenIsRefusedAtTheInsert() {
        UUID key = slice.apiKey("alone-replays", k -> {});
        TranscriptionJob first = job(JobId.random(), key);
        first.idempotent("request-4", "digest-4");
        slice.jobs().insertAlone(first);
        TranscriptionJob second = job(JobId.random(), key);
        second.idempotent("request-4", "digest-4");

        assertThatThrownBy(() -> slice.jobs().insertAlone(second)).isInstanceOf(DataIntegrityViolationException.class);

        assertThat(slice.jobs().findById(second.id().value())).isEmpty();
    }

    private static TranscriptionJob job(JobId id, UUID apiKey) {
        return TranscriptionJob.submitted(
                id,
                apiKey,
                Lane.ASYNC,
                new JobSpec(
                        "gpt-4o-transcribe",
                        "verbose_json",
                        "de",
                        "Names: Ana.",
                        0.2,
                        null,
                        JobTask.TRANSCRIBE,
                        true,
                        ChunkingStrategy.auto(),
                        List.of(new KnownSpeaker("ana", "speakers/" + id + "/0", "audio/wav"))),
                new StoredAudio("audio/" + id, "talk.wav", "audio/wav", 4_096),
                Map.of("episode", "7"),
                "https://hooks.example.test/done",
                slice.clock().instant());
    }
}
