package dev.transcriber.worker.admission;

import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Doorbell;
import dev.transcriber.common.wakeup.Wakeups;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Releases held jobs onto their lane's queue. Two rules decide which:
 *
 * <ul>
 *   <li>a key whose {@code max_concurrent_jobs} queues gets no more jobs out than its cap allows, oldest first;
 *   <li>bulk jobs go out only while fewer than {@code bulk-window} are queued or running, shared between keys by
 *       water-filling: the next job of the key with the fewest bulk jobs out goes first. One key's 10,000 items thus
 *       take turns with another key's 10, instead of standing before them in the queue.
 * </ul>
 *
 * Items of a batch wait until the whole batch is expanded. Pieces held for their wave (a diarized job's later pieces,
 * released by the worker that records the pieces before them) are not this scheduler's. Every worker runs it; a transaction-scoped advisory lock
 * lets one at a time decide, so the window holds. It runs when told that a held job may go ({@link Channel#ADMISSION}:
 * a job held, a job that counted against a cap or the window ended, a batch expanded), on every worker, and at the
 * latest every {@code transcriber.admission.interval}. A worker that finds the lock taken leaves the decision to its
 * holder, which was told too and decides again after its run. A held job is an ordinary queued row, so nothing is
 * lost when any process dies: the next run, anywhere, releases it.
 */
@Component
class AdmissionScheduler {

    private static final Logger log = LoggerFactory.getLogger(AdmissionScheduler.class);

    /** The advisory lock id that serialises release decisions. */
    private static final long LOCK = 0x7261646d6974L;

    private final JdbcClient jdbc;
    private final JobRepository jobs;
    private final Outbox outbox;
    private final TransactionTemplate transactions;
    private final AdmissionProperties properties;
    private final Doorbell doorbell;

    AdmissionScheduler(
            JdbcClient jdbc,
            JobRepository jobs,
            Outbox outbox,
            TransactionTemplate transactions,
            AdmissionProperties properties,
            Wakeups wakeups) {
        this.jdbc = jdbc;
        this.jobs = jobs;
        this.outbox = outbox;
        this.transactions = transactions;
        this.properties = properties;
        this.doorbell = wakeups.doorbell("admission", properties.interval(), this::tick, Channel.ADMISSION);
    }

    void tick() {
        try {
            Integer released = transactions.execute(status -> releaseDue());
            if (released != null && released > 0) {
                log.debug("released {} held jobs", released);
                doorbell.ring(); // at most bulk-window a key per run: look again until nothing goes
            }
        } catch (OptimisticLockingFailureException e) {
            doorbell.ring(); // a held job was cancelled meanwhile: decide again
        }
    }

    /** One decision, in the caller's transaction; the number of jobs released. */
    int releaseDue() {
        boolean mine = jdbc.sql("select pg_try_advisory_xact_lock(:lock)")
                .param("lock", LOCK)
                .query(Boolean.class)
                .single();
        if (!mine) {
            return 0;
        }
        int window = properties.bulkWindow();
        int bulkOut = jdbc.sql("select count(*) from transcription_jobs where parent_id is null and not held"
                        + " and state in (" + JobState.sqlUnfinished() + ") and lane = 'BULK'")
                .query(Integer.class)
                .single();
        List<Candidate> candidates = candidates(Math.max(window, 1));
        int bulkRoom = window - bulkOut;
        List<UUID> release = new ArrayList<>();
        for (Candidate candidate : candidates) {
            if (candidate.lane() == Lane.BULK) {
                if (bulkRoom <= 0) {
                    continue;
                }
                bulkRoom--;
            }
            release.add(candidate.id());
        }
        int released = 0;
        for (TranscriptionJob job : jobs.findAllById(release)) {
            if (job.state() != JobState.HELD) {
                continue; // cancelled by its owner since the candidates were read
            }
            job.release();
            outbox.add(job.lane().topic(), job.id().toString(), new JobSubmitted(job.id()), job.traceparent());
            released++;
        }
        return released;
    }

    private record Candidate(UUID id, Lane lane) {}

    /**
     * Held jobs that their key's cap lets out, in the order they should go: by the key's bulk jobs out plus the job's
     * place in its key's line (so keys take turns), then by that place. At most {@code perKey} per key are looked at.
     */
    private List<Candidate> candidates(int perKey) {
        return jdbc.sql("""
                        with waiting as (
                            select distinct api_key_id from transcription_jobs
                            where held and state = %1$s and parent_id is null),
                        out as (
                            select api_key_id, count(*) as n, count(*) filter (where lane = 'BULK') as bulk
                            from transcription_jobs
                            where parent_id is null and not held and state in (%2$s)
                                and api_key_id in (select api_key_id from waiting)
                            group by api_key_id)
                        select c.id, c.lane
                        from waiting w
                        join api_keys k on k.id = w.api_key_id
                        left join out o on o.api_key_id = w.api_key_id
                        cross join lateral (
                            select j.id, j.lane, row_number() over (order by j.created_at, j.batch_index, j.id) as place
                            from transcription_jobs j
                            where j.api_key_id = w.api_key_id and j.held and j.state = %1$s
                                and j.parent_id is null
                                and (j.batch_id is null or exists (select 1 from transcription_batches b
                                    where b.id = j.batch_id and b.state = 'IN_PROGRESS'))
                            order by j.created_at, j.batch_index, j.id
                            limit :perKey) c
                        where k.max_concurrent_jobs is null or k.concurrent_jobs_mode <> 'queue'
                            or coalesce(o.n, 0) + c.place <= k.max_concurrent_jobs
                        order by coalesce(o.bulk, 0) + c.place, c.place
                        """.formatted(JobState.QUEUED.sql(), JobState.sqlUnfinished()))
                .param("perKey", perKey)
                .query((rs, n) -> new Candidate(rs.getObject(1, UUID.class), Lane.valueOf(rs.getString(2))))
                .list();
    }
}
