package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The hot transitions of a job row as single conditional statements: the state the transition starts from, and for a
 * claimed job its owner and claim number, are in the {@code WHERE} clause, so a row that moved on meanwhile is simply
 * not changed (the fence comes with the statement). The statement is plain JDBC; the changed row is then loaded as a
 * managed entity by its id, through the entity's precompiled loader (a native query mapped to the entity rebuilt its
 * result mapping on every call: measured as the largest JPA cost of the worker's hot path). The rest of the job's
 * changes go through JPA and the entity's state machine; the states written here are the machine's own transitions
 * ({@link JobState#canMoveTo}).
 */
@Repository
class JobTransitions {

    private static final String QUEUED = JobState.QUEUED.sql();
    private static final String RUNNING = JobState.RUNNING.sql();
    private static final String SUCCEEDED = JobState.SUCCEEDED.sql();

    @PersistenceContext
    private EntityManager entities;

    private final JdbcClient jdbc;

    JobTransitions(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * QUEUED, not held (or RUNNING under a lease that ran out) to RUNNING under {@code worker}'s lease, for a whole
     * job or a piece whose job is still running; empty when the row is not claimable so (taken, ended, held for
     * admission or its wave, or an orphaned piece).
     */
    Optional<TranscriptionJob> claim(JobId id, String worker, Instant leaseUntil, Instant now) {
        return changed(
                id,
                jdbc.sql("update transcription_jobs j set state = " + RUNNING + ", lease_owner = :worker,"
                                + " lease_until = :until, attempts = j.attempts + 1, claims = j.claims + 1,"
                                + " started_at = coalesce(j.started_at, :now), version = j.version + 1"
                                + " where j.id = :id and ((j.state = " + QUEUED + " and not j.held)"
                                + " or (j.state = " + RUNNING + " and j.lease_until < :now))"
                                + " and (j.parent_id is null or exists (select 1 from transcription_jobs p"
                                + " where p.id = j.parent_id and p.state = " + RUNNING + "))")
                        .param("worker", worker)
                        .param("until", Timestamp.from(leaseUntil))
                        .param("now", Timestamp.from(now))
                        .param("id", id.value())
                        .update());
    }

    /**
     * RUNNING under {@code claim} to SUCCEEDED with its transcript, account and measured duration; empty when the
     * job is no longer held under that claim.
     */
    Optional<TranscriptionJob> succeed(
            Claim claim, String transcriptJson, String account, double durationSeconds, Instant now) {
        return changed(
                claim.job(),
                jdbc.sql("update transcription_jobs j set state = " + SUCCEEDED + ", transcript_json = :transcript,"
                                + " upstream_account = :account, duration_seconds = :duration, finished_at = :now,"
                                + " lease_owner = null, lease_until = null, version = j.version + 1"
                                + " where j.id = :id and j.state = " + RUNNING + " and j.claims = :claim"
                                + " and j.lease_owner = :worker")
                        .param("transcript", transcriptJson)
                        .param("account", account)
                        .param("duration", durationSeconds)
                        .param("now", Timestamp.from(now))
                        .param("id", claim.job().value())
                        .param("claim", claim.number())
                        .param("worker", claim.owner())
                        .update());
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

    /**
     * The row as the statement left it, when it changed one. Its transaction has not loaded it before, so the
     * entity comes from the database, not from a stale persistence context.
     */
    private Optional<TranscriptionJob> changed(JobId id, int rows) {
        return rows == 0 ? Optional.empty() : Optional.of(entities.find(TranscriptionJob.class, id.value()));
    }
}
