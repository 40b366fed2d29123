package dev.transcriber.api.transcription;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.TimestampGranularity;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * What a held request answers with, read in one plain statement: the ended job's state, what it was asked to render
 * and its transcript or failure. No entity is loaded (no persistence context, no transaction of its own): this read
 * happens once per synchronous request.
 */
@Repository
class JobOutcomes {

    private final JdbcClient jdbc;

    JobOutcomes(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Outcome> find(JobId id) {
        return jdbc.sql("select state, response_format, timestamp_granularities, transcript_json, upstream_account,"
                        + " failure_code, failure_message, failure_resets_at, task, deleted_at is not null"
                        + " from transcription_jobs where id = :id")
                .param("id", id.value())
                .query((rs, row) -> new Outcome(
                        JobState.valueOf(rs.getString("state")),
                        rs.getString("response_format"),
                        TimestampGranularity.parse(rs.getString("timestamp_granularities")),
                        rs.getString("transcript_json"),
                        rs.getString("upstream_account"),
                        failureCode(rs.getString("failure_code")),
                        rs.getString("failure_message"),
                        instant(rs.getTimestamp("failure_resets_at")),
                        JobTask.ofStored(rs.getString("task")),
                        rs.getBoolean(10)))
                .optional();
    }

    private static FailureCode failureCode(String stored) {
        return stored == null ? null : FailureCode.valueOf(stored);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    /** An ended (or, read early, a running) job as its held request sees it. */
    record Outcome(
            JobState state,
            String responseFormat,
            Set<TimestampGranularity> timestampGranularities,
            String transcriptJson,
            String upstreamAccount,
            FailureCode failureCode,
            String failureMessage,
            Instant failureResetsAt,
            JobTask task,
            boolean deleted) {}
}
