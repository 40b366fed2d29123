package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.KnownSpeaker;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.worker.usage.UsageLedger;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.springframework.dao.DataRetrievalFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The hot transitions of a job row as single conditional statements: the state the transition starts from, and for a
 * claimed job its owner and claim number, are in the {@code WHERE} clause, so a row that moved on meanwhile is simply
 * not changed (the fence comes with the statement). Each returns what its caller goes on with in the same round trip
 * ({@code RETURNING}), as plain values: the claim the columns a run reads ({@link RunningJob}), the success what its
 * end announces ({@link EndedJob}). No entity is loaded or hydrated on this path (measured as the largest JPA cost of
 * the worker's hot path). The rest of the job's changes go through JPA and the entity's state machine; the states
 * written here are the machine's own transitions ({@link JobState#canMoveTo}).
 */
@Repository
class JobTransitions {

    private static final String QUEUED = JobState.QUEUED.sql();
    private static final String RUNNING = JobState.RUNNING.sql();
    private static final String SUCCEEDED = JobState.SUCCEEDED.sql();

    /** The columns of a {@link RunningJob}. */
    private static final String RUNNING_JOB = " returning j.id, j.lane, j.model, j.response_format, j.language,"
            + " j.prompt, j.temperature, j.timestamp_granularities, j.task, j.include_logprobs, j.chunking_strategy,"
            + " j.known_speakers, j.object_key, j.filename, j.content_type, j.size_bytes, j.source_url,"
            + " j.content_sha256, j.reuse, j.parent_id, j.piece_index, j.piece_offset, j.piece_owns_from,"
            + " j.piece_owns_until, j.duration_seconds, j.lease_owner, j.claims,"
            + " (j.webhook_url is null and j.batch_id is null) as quiet_end";

    /** The columns of an {@link EndedJob}. */
    private static final String ENDED_JOB = " returning j.id, j.api_key_id, j.state, j.failure_code, j.lane, j.model,"
            + " j.duration_seconds, j.reused_from, j.webhook_url, j.parent_id, j.batch_id, j.traceparent,"
            + " j.upstream_account, j.finished_at, j.idempotency_key is not null as idempotent";

    private final JdbcClient jdbc;

    JobTransitions(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * QUEUED, not held (or RUNNING under a lease that ran out) to RUNNING under {@code worker}'s lease, for a whole
     * job or a piece whose job is still running; empty when the row is not claimable so (taken, ended, held for
     * admission or its wave, or an orphaned piece). One round trip: outside a transaction it commits on its own. A row
     * it took but cannot read is given back at once ({@link #unclaim}) and its reading's failure thrown, so no run
     * starts and the job does not wait for the lease to run out.
     */
    Optional<RunningJob> claim(JobId id, String worker, Instant leaseUntil, Instant now) {
        return jdbc.sql("update transcription_jobs j set state = " + RUNNING + ", lease_owner = :worker,"
                        + " lease_until = :until, attempts = j.attempts + 1, claims = j.claims + 1,"
                        + " started_at = coalesce(j.started_at, :now), version = j.version + 1"
                        + " where j.id = :id and ((j.state = " + QUEUED + " and not j.held)"
                        + " or (j.state = " + RUNNING + " and j.lease_until < :now))"
                        + " and (j.parent_id is null or exists (select 1 from transcription_jobs p"
                        + " where p.id = j.parent_id and p.state = " + RUNNING + "))"
                        + RUNNING_JOB)
                .param("worker", worker)
                .param("until", typed(leaseUntil))
                .param("now", typed(now))
                .param("id", id.value())
                .query(JobTransitions::taken)
                .optional()
                .map(taken -> readOrGiveBack(taken, now));
    }

    /** What the claim's statement returned: the claim it made, and the job it read or why it could not. */
    private record Taken(Claim claim, RunningJob job, RuntimeException unreadable) {}

    private static Taken taken(ResultSet rs, int row) throws SQLException {
        Claim claim =
                new Claim(new JobId(rs.getObject("id", UUID.class)), rs.getString("lease_owner"), rs.getInt("claims"));
        try {
            return new Taken(claim, runningJob(rs, claim), null);
        } catch (RuntimeException e) {
            return new Taken(claim, null, e);
        } catch (SQLException e) {
            return new Taken(
                    claim, null, new DataRetrievalFailureException("job " + claim.job() + " could not be read", e));
        }
    }

    private RunningJob readOrGiveBack(Taken taken, Instant now) {
        if (taken.unreadable() == null) {
            return taken.job();
        }
        try {
            unclaim(taken.claim(), now);
        } catch (RuntimeException e) {
            taken.unreadable().addSuppressed(e); // then its lease runs out and the reaper requeues it
        }
        throw taken.unreadable();
    }

    /**
     * A claim made at {@code claimedAt} undone: RUNNING under {@code claim} back to QUEUED with no lease and the start
     * not counted; the start time the claim wrote (the row had none) is taken away, one the row had is kept. A claim of
     * a row whose lease had run out also ends queued, as the reaper would have left it. The claim number stays
     * counted, so a claim number is never used twice. A row no longer held under {@code claim} is left as it is.
     */
    private void unclaim(Claim claim, Instant claimedAt) {
        jdbc.sql("update transcription_jobs j set state = " + QUEUED + ", lease_owner = null,"
                        + " lease_until = null, attempts = greatest(j.attempts - 1, 0),"
                        + " started_at = case when j.started_at = :claimed then null else j.started_at end,"
                        + " version = j.version + 1"
                        + " where j.id = :id and j.state = " + RUNNING + " and j.claims = :claim"
                        + " and j.lease_owner = :worker")
                .param("claimed", typed(claimedAt))
                .param("id", claim.job().value())
                .param("claim", claim.number())
                .param("worker", claim.owner())
                .update();
    }

    /**
     * RUNNING under {@code claim} to SUCCEEDED with its transcript, account and measured duration, and its usage row
     * ({@code usage}) written by the same statement; empty (and no usage row) when the job is no longer held under
     * that claim. One round trip: outside a transaction it commits on its own.
     */
    Optional<EndedJob> succeed(
            Claim claim,
            String transcriptJson,
            String account,
            double durationSeconds,
            Instant now,
            UsageLedger.Entry usage) {
        return UsageLedger.bind(
                        jdbc.sql("with ended as (update transcription_jobs j set state = " + SUCCEEDED + ","
                                + " transcript_json = :transcript, upstream_account = :account,"
                                + " duration_seconds = :duration, finished_at = :now, lease_owner = null,"
                                + " lease_until = null, version = j.version + 1"
                                + " where j.id = :id and j.state = " + RUNNING + " and j.claims = :claim"
                                + " and j.lease_owner = :worker" + ENDED_JOB + "),"
                                + " used as (" + UsageLedger.insertFrom("ended") + ")"
                                + " select * from ended j"),
                        usage)
                .param("transcript", transcriptJson)
                .param("account", account)
                .param("duration", durationSeconds)
                .param("now", typed(now))
                .param("id", claim.job().value())
                .param("claim", claim.number())
                .param("worker", claim.owner())
                .query(JobTransitions::endedJob)
                .optional();
    }

    /**
     * An instant as a {@code timestamptz} parameter. The driver sends a {@link Timestamp} with no type, for the server
     * to choose; a statement with such a parameter is described on its first runs, and a described statement whose
     * result has a column of unbounded size (any text) costs a round trip of its own before each run: the driver
     * syncs first, sending what it holds (a transaction's BEGIN) or nothing. A typed parameter keeps each of these
     * statements to one round trip.
     */
    private static OffsetDateTime typed(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    /** What the fence needs of a row, read without loading the job: its state, claim number and lease owner. */
    Optional<Hold> hold(JobId id) {
        return jdbc.sql("select state, claims, lease_owner from transcription_jobs where id = :id")
                .param("id", id.value())
                .query((rs, row) -> new Hold(
                        JobState.valueOf(rs.getString("state")), rs.getInt("claims"), rs.getString("lease_owner")))
                .optional();
    }

    /** A job row as the fence sees it. */
    record Hold(JobState state, int claims, String leaseOwner) {

        boolean isHeldBy(String worker, int claim) {
            return TranscriptionJob.isHeldBy(state, claims, leaseOwner, worker, claim);
        }
    }

    private static RunningJob runningJob(ResultSet rs, Claim claim) throws SQLException {
        UUID parentId = rs.getObject("parent_id", UUID.class);
        return new RunningJob(
                claim,
                Lane.valueOf(rs.getString("lane")),
                JobSpec.stored(
                        rs.getString("model"),
                        rs.getString("response_format"),
                        rs.getString("language"),
                        rs.getString("prompt"),
                        nullableDouble(rs, "temperature"),
                        rs.getString("timestamp_granularities"),
                        rs.getString("task"),
                        rs.getBoolean("include_logprobs"),
                        rs.getString("chunking_strategy"),
                        KnownSpeaker.fromStored(rs.getString("known_speakers"))),
                new StoredAudio(
                        rs.getString("object_key"),
                        rs.getString("filename"),
                        rs.getString("content_type"),
                        rs.getLong("size_bytes")),
                rs.getString("source_url"),
                rs.getString("content_sha256"),
                rs.getBoolean("reuse"),
                parentId == null ? null : new JobId(parentId),
                parentId == null ? 0 : rs.getInt("piece_index"),
                parentId == null
                        ? null
                        : new PieceSpan(
                                required(rs, "piece_offset"),
                                required(rs, "duration_seconds"),
                                required(rs, "piece_owns_from"),
                                required(rs, "piece_owns_until")),
                rs.getBoolean("quiet_end"));
    }

    private static EndedJob endedJob(ResultSet rs, int row) throws SQLException {
        String failure = rs.getString("failure_code");
        Timestamp finished = rs.getTimestamp("finished_at");
        return new EndedJob(
                new JobId(rs.getObject("id", UUID.class)),
                rs.getObject("api_key_id", UUID.class),
                JobState.valueOf(rs.getString("state")),
                failure == null ? null : FailureCode.valueOf(failure),
                Lane.valueOf(rs.getString("lane")),
                rs.getString("model"),
                nullableDouble(rs, "duration_seconds"),
                rs.getObject("reused_from", UUID.class),
                rs.getString("webhook_url"),
                rs.getObject("parent_id", UUID.class) != null,
                rs.getObject("batch_id", UUID.class),
                rs.getString("traceparent"),
                rs.getString("upstream_account"),
                finished == null ? null : finished.toInstant(),
                rs.getBoolean("idempotent"));
    }

    /** A piece's span is always written with it: a row without one is corrupt, and its run fails here. */
    private static double required(ResultSet rs, String column) throws SQLException {
        Double value = nullableDouble(rs, column);
        if (value == null) {
            throw new IllegalStateException("job " + rs.getObject("id") + ": a piece without " + column);
        }
        return value;
    }

    private static Double nullableDouble(ResultSet rs, String column) throws SQLException {
        double value = rs.getDouble(column);
        return rs.wasNull() ? null : value;
    }
}
