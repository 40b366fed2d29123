package dev.transcriber.worker.retention;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.transcript.ResponseFormat;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Removes what has outlived its retention: the audio of jobs that ended more than {@code transcriber.retention.audio}
 * ago (source and pieces), their transcripts after {@code transcriber.retention.transcripts}, and presigned uploads
 * whose URL has expired: an unused one with what it holds, a used one with whatever its URL wrote after the job took
 * its copy (nothing, unless the caller sent it again), so no object outlives every row that names it. A batch that
 * ended before each of its files became a job (cancelled or failed while expanding) loses, once and an hour after it
 * ended, the objects no job of it names: its items' upload copies, its archive's copy and the files taken out of it.
 * A job's row stays (with when its content went), so owners see what happened. A row is marked only once its objects
 * are gone: what the store failed to remove is tried again by a later sweep, without holding up the rows after it.
 */
@Component
public class RetentionSweeper {

    private static final Logger log = LoggerFactory.getLogger(RetentionSweeper.class);
    private static final int BATCH = 500;

    /**
     * How long after its expiry a presigned URL may still write: S3 servers accept a request signed up to 15 minutes
     * off their own clock, and a PUT they accepted may take a while to send its gigabytes.
     */
    static final Duration LATE_PUT_MARGIN = Duration.ofHours(1);

    /**
     * How long after a batch ended its leftovers wait: a worker expanding it when it was cancelled may still be writing
     * the archive's current entry (it removes what it wrote itself once it sees the cancel).
     */
    static final Duration LEFTOVERS_AFTER = Duration.ofHours(1);

    /** How many failures of the object store in a row end a pass: it is down, and the next sweep tries again. */
    private static final int STORE_FAILURES = 3;

    private final JdbcClient jdbc;
    private final ObjectStore store;
    private final JsonMapper json;
    private final Clock clock;
    private final Duration audio;
    private final TranscriptRetention transcripts;
    /** Per pass, the row the last pass gave up at (the store failing); absent: the next pass starts from the first. */
    private final Map<String, Cursor> resumeAfter = new ConcurrentHashMap<>();

    RetentionSweeper(
            JdbcClient jdbc,
            ObjectStore store,
            JsonMapper json,
            Clock clock,
            @Value("${transcriber.retention.audio:7d}") Duration audio,
            TranscriptRetention transcripts) {
        this.jdbc = jdbc;
        this.store = store;
        this.json = json;
        this.clock = clock;
        this.audio = audio;
        this.transcripts = transcripts;
    }

    @Scheduled(fixedDelayString = "${transcriber.retention.sweep-interval:10m}")
    void sweep() {
        int removed = sweep(clock.instant());
        if (removed > 0) {
            log.info("retention: removed the audio or transcript of {} jobs", removed);
        }
    }

    /**
     * Sweeps as of {@code now}; how many jobs lost audio or transcript. A row is marked (or an upload's deleted) only
     * once every object it stands for is gone: while the store fails, the rows wait for the next sweep.
     */
    public int sweep(Instant now) {
        int removed = removeExpiredAudio(now);
        removed += transcripts.removeExpired(now);
        removeExpiredUploads(now);
        removeBatchLeftovers(now);
        return removed;
    }

    /**
     * The audio of jobs that ended before the audio's retention: their source (an audio_url job's too: a fetch may
     * have written it after its job ended), pieces and speakers' clips.
     */
    private int removeExpiredAudio(Instant now) {
        Timestamp before = Timestamp.from(now.minus(audio));
        return removeObjectsOf(
                "audio",
                after -> after(
                                jdbc.sql("select id, object_key, known_speakers is not null or response_format = '"
                                        + ResponseFormat.DIARIZED_JSON.wireName() + "', finished_at"
                                        + " from transcription_jobs where"
                                        + " parent_id is null and"
                                        + " finished_at < :before and audio_removed_at is null"
                                        + (after == null ? "" : " and (finished_at, id) > (:afterAt, :afterId)")
                                        + " order by finished_at, id limit " + BATCH),
                                after)
                        .param("before", before)
                        .query((rs, n) -> new Expired(
                                rs.getObject(1, UUID.class),
                                rs.getString(2),
                                rs.getBoolean(3),
                                new Cursor(rs.getTimestamp(4), rs.getObject(1, UUID.class))))
                        .list(),
                Expired::cursor,
                job -> {
                    List<String> objects =
                            new ArrayList<>(jdbc.sql("select object_key from transcription_jobs where parent_id = :id")
                                    .param("id", job.id())
                                    .query(String.class)
                                    .list());
                    objects.add(job.objectKey());
                    if (job.knownSpeakers()) { // the caller's reference clips and those its worker cut, if any
                        objects.addAll(store.keys(ObjectKeys.speakers(new JobId(job.id()))));
                    }
                    return objects;
                },
                job -> jdbc.sql("update transcription_jobs set audio_removed_at = :now where id = :id"
                                + " and finished_at < :before") // not retried meanwhile
                        .param("now", Timestamp.from(now))
                        .param("id", job.id())
                        .param("before", before)
                        .update());
    }

    /** Presigned uploads an hour past their URL's expiry, with what they hold. */
    private void removeExpiredUploads(Instant now) {
        removeObjectsOf(
                "uploads",
                after -> after(
                                jdbc.sql("select id, object_key, expires_at from transcription_uploads"
                                        + " where expires_at < :before"
                                        + (after == null ? "" : " and (expires_at, id) > (:afterAt, :afterId)")
                                        + " order by expires_at, id limit " + BATCH),
                                after)
                        .param("before", Timestamp.from(now.minus(LATE_PUT_MARGIN)))
                        .query((rs, n) -> new Upload(
                                rs.getString(1), rs.getString(2), new Cursor(rs.getTimestamp(3), rs.getString(1))))
                        .list(),
                Upload::cursor,
                upload -> List.of(upload.objectKey()),
                upload -> jdbc.sql("delete from transcription_uploads where id = :id")
                        .param("id", upload.id())
                        .update());
    }

    /** What ended batches left that none of their jobs names; each ended batch is looked at once. */
    private void removeBatchLeftovers(Instant now) {
        removeObjectsOf(
                "batch leftovers",
                after -> after(
                                jdbc.sql("select id, source_kind, source, finished_at from transcription_batches"
                                        + " where finished_at < :before and leftovers_removed_at is null"
                                        + (after == null ? "" : " and (finished_at, id) > (:afterAt, :afterId)")
                                        + " order by finished_at, id limit " + BATCH),
                                after)
                        .param("before", Timestamp.from(now.minus(LEFTOVERS_AFTER)))
                        .query((rs, n) -> new EndedBatch(
                                rs.getObject(1, UUID.class),
                                BatchSource.valueOf(rs.getString(2)),
                                rs.getString(3),
                                new Cursor(rs.getTimestamp(4), rs.getObject(1, UUID.class))))
                        .list(),
                EndedBatch::cursor,
                batch -> {
                    Set<String> named =
                            new HashSet<>(jdbc.sql("select object_key from transcription_jobs where batch_id = :id")
                                    .param("id", batch.id())
                                    .query(String.class)
                                    .list());
                    return objectsOf(batch).stream()
                            .filter(key -> !named.contains(key))
                            .toList();
                },
                batch -> jdbc.sql("update transcription_batches set leftovers_removed_at = :now where id = :id")
                        .param("now", Timestamp.from(now))
                        .param("id", batch.id())
                        .update());
    }

    /**
     * One pass over the rows {@code page} reads, a page at a time in the rows' order, each page after the last row
     * of the one before ({@code page} is given that row's {@link Cursor}; null: from the first): the objects each row
     * stands for ({@code objectsOf}, which may ask the store) are deleted, then the row is marked ({@code mark}). A row
     * whose objects the store failed to remove is left for a later pass, and the pass gives up after
     * {@link #STORE_FAILURES} failures with no row swept between them (the store is down). The next pass of
     * {@code name} goes on after the row this one reached, and starts from the first row again once a pass has reached
     * the end: rows whose objects always fail (an object the store refuses to delete) cannot stop the ones after them
     * from ever being swept. How many rows it marked.
     */
    private <R> int removeObjectsOf(
            String name,
            Function<Cursor, List<R>> page,
            Function<R, Cursor> cursorOf,
            Function<R, List<String>> objectsOf,
            Consumer<R> mark) {
        Cursor after = resumeAfter.get(name);
        int marked = 0;
        int failures = 0;
        List<R> rows;
        do {
            rows = page.apply(after);
            for (R row : rows) {
                after = cursorOf.apply(row);
                int failed = deleteObjectsOf(row, objectsOf);
                if (failed == 0) {
                    mark.accept(row);
                    marked++;
                    failures = 0; // refusals of single objects between rows swept are not the store being down
                } else if ((failures += failed) >= STORE_FAILURES) {
                    resumeAfter.put(name, after);
                    return marked;
                }
            }
        } while (rows.size() == BATCH);
        resumeAfter.remove(name); // the end reached: the next pass starts from the first row
        return marked;
    }

    /** {@code query} with the cursor's parameters bound, when there is one. */
    private static JdbcClient.StatementSpec after(JdbcClient.StatementSpec query, Cursor after) {
        return after == null ? query : query.param("afterAt", after.at()).param("afterId", after.id());
    }

    /** Where a row stands in a pass's order: its time (ended, or expired), then its id. */
    private record Cursor(Timestamp at, Object id) {}

    /** Deletes the objects {@code row} stands for; how many calls to the store failed (each logged). */
    private <R> int deleteObjectsOf(R row, Function<R, List<String>> objectsOf) {
        List<String> keys;
        try {
            keys = objectsOf.apply(row);
        } catch (ObjectStoreException e) {
            log.warn("retention: {}; tried again by a later sweep", e.getMessage());
            return 1;
        }
        int failed = 0;
        for (String key : keys) {
            try {
                store.delete(key);
            } catch (ObjectStoreException e) {
                log.warn("retention: {}; tried again by a later sweep", e.getMessage());
                failed++;
            }
        }
        return failed;
    }

    /** Every object a batch's expansion may have left: its items' uploads, or its archive and what came out of it. */
    private List<String> objectsOf(EndedBatch batch) {
        List<String> keys = new ArrayList<>();
        switch (batch.kind()) {
            case ITEMS -> {
                try {
                    for (BatchItem item : json.readValue(batch.source(), BatchItem[].class)) {
                        if (item.object_key() != null) {
                            keys.add(item.object_key());
                        }
                    }
                } catch (JacksonException e) {
                    log.warn("retention: batch {} has items that cannot be read: {}", batch.id(), e.getMessage());
                }
            }
            case FEED -> keys.add(ObjectKeys.batchFeed(batch.id()));
            case ARCHIVE -> {
                keys.add(batch.source());
                keys.addAll(store.keys(ObjectKeys.batchItems(batch.id())));
            }
        }
        return keys;
    }

    private record EndedBatch(UUID id, BatchSource kind, String source, Cursor cursor) {}

    private record Upload(String id, String objectKey, Cursor cursor) {}

    private record Expired(UUID id, String objectKey, boolean knownSpeakers, Cursor cursor) {}
}
