package dev.transcriber.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.WorkerSlice;
import jakarta.persistence.EntityManagerFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.persister.entity.EntityPersister;
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

    @Test
    void theInsertNamesEveryColumnTheEntityMaps() {
        EntityPersister persister = slice.bean(EntityManagerFactory.class)
                .unwrap(SessionFactoryImplementor.class)
                .getMappingMetamodel()
                .getEntityDescriptor(TranscriptionJob.class);
        Set<String> mapped = new TreeSet<>();
        persister.forEachSelectable((index, selectable) -> mapped.add(selectable.getSelectionExpression()));
        mapped.add(persister.getIdentifierMapping().getAttributeName());

        assertThat(TranscriptionJob.INSERT_COLUMNS).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(mapped);
    }

    @Test
    void everyFieldSetToAValueOfItsOwnReadsBackAsWritten() throws Exception {
        UUID key = slice.apiKey("every-field", k -> {});
        JobId parent = JobId.random();
        slice.jobs().insertAlone(job(parent, key));
        UUID batch = UUID.randomUUID();
        slice.jdbc()
                .sql(
                        "insert into transcription_batches (id, api_key_id, state, source_kind, source, options, created_at)"
                                + " values (?, ?, 'IN_PROGRESS', 'ITEMS', '[]', '{}', now())")
                .params(batch, key)
                .update();
        TranscriptionJob written = job(JobId.random(), key);
        Values values = new Values(Map.of("apiKeyId", key, "parentId", parent.value(), "batchId", batch));
        for (Field field : TranscriptionJob.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())
                    || Modifier.isTransient(field.getModifiers()) // not a column
                    || field.getName().equals("id")
                    || field.getName().equals("version")) {
                continue;
            }
            field.setAccessible(true);
            field.set(written, values.of(field.getName(), field.getGenericType()));
        }

        slice.jobs().insertAlone(written);

        TranscriptionJob read = slice.job(written.id());
        assertThat(read)
                .usingRecursiveComparison()
                .ignoringFields("writerBackend")
                .isEqualTo(written);
        assertThat(read).extracting("version").isEqualTo(0L); // the first version, as Hibernate's insert wrote it
    }

    @Test
    void aJobWrittenOnceIsNotInsertedAgain() {
        TranscriptionJob written = job(JobId.random(), slice.apiKey("once", k -> {}));
        slice.jobs().insertAlone(written);

        assertThatThrownBy(() -> slice.jobs().insertAlone(written)).hasMessageContaining("is not new");
    }

    /**
     * A value of its own for each field (none null, none a default), by its type; a field of a type not here fails the
     * test, so a new column cannot go untested.
     */
    private static final class Values {

        private final Map<String, Object> fixed;
        private int next = 1;

        Values(Map<String, Object> fixed) {
            this.fixed = fixed;
        }

        Object of(String name, Type type) throws ReflectiveOperationException {
            if (fixed.containsKey(name)) {
                return fixed.get(name);
            }
            int n = next++;
            if (type instanceof ParameterizedType generic && generic.getRawType() == List.class) {
                return List.of(new KnownSpeaker("speaker-" + n, "speakers/" + n, "audio/ogg"));
            }
            if (type instanceof ParameterizedType generic && generic.getRawType() == Map.class) {
                return Map.of("field", "value-" + n, "other", "more");
            }
            Class<?> raw = (Class<?>) type;
            if (name.equals("task")) {
                return JobTask.TRANSLATE.wireName();
            }
            if (raw == String.class) {
                return name + "-" + n;
            }
            if (raw == UUID.class) {
                return UUID.randomUUID();
            }
            if (raw == Integer.class || raw == int.class) {
                return 100 + n;
            }
            if (raw == Long.class || raw == long.class) {
                return 10_000L + n;
            }
            if (raw == Double.class || raw == double.class) {
                return n + 0.25;
            }
            if (raw == Boolean.class || raw == boolean.class) {
                return true;
            }
            if (raw == Instant.class) { // microseconds, as PostgreSQL keeps them
                return Instant.parse("2026-01-02T03:04:05.123456Z").plusSeconds(n);
            }
            if (raw == JobState.class) {
                return JobState.RUNNING;
            }
            if (raw == Lane.class) {
                return Lane.BULK;
            }
            if (raw.isRecord()) { // an embedded group of columns
                RecordComponent[] components = raw.getRecordComponents();
                Object[] args = new Object[components.length];
                Class<?>[] types = new Class<?>[components.length];
                for (int i = 0; i < components.length; i++) {
                    args[i] = of(components[i].getName(), components[i].getGenericType());
                    types[i] = components[i].getType();
                }
                return raw.getDeclaredConstructor(types).newInstance(args);
            }
            throw new AssertionError("field " + name + " has a type this test cannot fill: " + type);
        }
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
