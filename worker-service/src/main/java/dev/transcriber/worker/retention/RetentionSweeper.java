package dev.transcriber.worker.retention;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.transcript.ResponseFormat;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Removes what has outlived its retention: the audio of jobs that ended more than {@code transcriber.retention.audio}
 * ago (source and pieces), their transcripts after {@code transcriber.retention.transcripts}, and presigned uploads
 * whose URL has expired: an unused one with what it holds, a used one with whatever its URL wrote after the job took
 * its copy (nothing, unless the caller sent it again), so no object outlives every row that names it. A job's row
 * stays (with when its content went), so owners see what happened.
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

    private final JdbcClient jdbc;
    private final ObjectStore store;
    private final Clock clock;
    private final Duration audio;
    private final Duration transcripts;

    RetentionSweeper(
            JdbcClient jdbc,
            ObjectStore store,
            Clock clock,
            @Value("${transcriber.retention.audio:7d}") Duration audio,
            @Value("${transcriber.retention.transcripts:30d}") Duration transcripts) {
        this.jdbc = jdbc;
        this.store = store;
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

    /** Sweeps as of {@code now}; how many jobs lost audio or transcript. */
    public int sweep(Instant now) {
        int removed = 0;
        List<Expired> expired;
        do {
            expired = jdbc.sql("select id, object_key, known_speakers is not null or response_format = '"
                            + ResponseFormat.DIARIZED_JSON.wireName() + "'"
                            + " from transcription_jobs where"
                            + " parent_id is null and"
                            + " finished_at < :before and audio_removed_at is null and source_url is null limit "
                            + BATCH)
                    .param("before", Timestamp.from(now.minus(audio)))
                    .query((rs, n) -> new Expired(rs.getObject(1, UUID.class), rs.getString(2), rs.getBoolean(3)))
                    .list();
            for (Expired job : expired) {
                List<String> pieces = jdbc.sql("select object_key from transcription_jobs where parent_id = :id")
                        .param("id", job.id())
                        .query(String.class)
                        .list();
                pieces.forEach(this::deleteQuietly);
                deleteQuietly(job.objectKey());
                if (job.knownSpeakers()) { // the caller's reference clips and those its worker cut, if any are left
                    store.keys(ObjectKeys.speakers(new JobId(job.id()))).forEach(this::deleteQuietly);
                }
                jdbc.sql("update transcription_jobs set audio_removed_at = :now where id = :id")
                        .param("now", Timestamp.from(now))
                        .param("id", job.id())
                        .update();
                removed++;
            }
        } while (expired.size() == BATCH);
        removed += jdbc.sql("update transcription_jobs set transcript_json = null, transcript_removed_at = :now"
                        + " where finished_at < :before and transcript_json is not null")
                .param("now", Timestamp.from(now))
                .param("before", Timestamp.from(now.minus(transcripts)))
                .update();
        List<String> uploads = jdbc.sql(
                        "delete from transcription_uploads where expires_at < :before" + " returning object_key")
                .param("before", Timestamp.from(now.minus(LATE_PUT_MARGIN)))
                .query(String.class)
                .list();
        uploads.forEach(this::deleteQuietly);
        return removed;
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (RuntimeException e) {
            log.warn("retention: could not delete {}: {}", key, e.getMessage());
        }
    }

    private record Expired(UUID id, String objectKey, boolean knownSpeakers) {}
}
