package dev.transcriber.worker.retention;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Removes the transcripts of jobs that ended more than {@code transcriber.retention.transcripts} ago (the row stays,
 * with when its transcript went). A piece's goes with its job's: until the job has ended, the merge of its pieces
 * still reads it, however long ago the piece itself ended (a long job's waves may outlast a short retention).
 */
@Component
public class TranscriptRetention {

    private final JdbcClient jdbc;
    private final Duration transcripts;

    TranscriptRetention(JdbcClient jdbc, @Value("${transcriber.retention.transcripts:30d}") Duration transcripts) {
        this.jdbc = jdbc;
        this.transcripts = transcripts;
    }

    /** Removes what has outlived the retention as of {@code now}; how many transcripts went. */
    public int removeExpired(Instant now) {
        return jdbc.sql("update transcription_jobs j set transcript_json = null, transcript_removed_at = :now"
                        + " where j.finished_at < :before and j.transcript_json is not null"
                        + " and (j.parent_id is null or exists (select 1 from transcription_jobs p"
                        + " where p.id = j.parent_id and p.finished_at < :before))")
                .param("now", Timestamp.from(now))
                .param("before", Timestamp.from(now.minus(transcripts)))
                .update();
    }
}
