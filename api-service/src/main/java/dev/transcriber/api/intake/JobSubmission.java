package dev.transcriber.api.intake;

import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.KeyLimits;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.time.Clock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Records a job, then sends its {@link JobSubmitted} event once it has committed (a notice: see {@link #save}): once
 * this returns, the job is not lost.
 */
@Service
public class JobSubmission {

    private final JobRepository jobs;
    private final Outbox outbox;
    private final KeyLimits limits;
    private final Clock clock;
    private final Traces traces;
    private final Wakeups wakeups;
    private final TransactionTemplate transactions;
    private final CommitInDoubt commitInDoubt;

    JobSubmission(
            JobRepository jobs,
            Outbox outbox,
            KeyLimits limits,
            Clock clock,
            Traces traces,
            Wakeups wakeups,
            TransactionTemplate transactions,
            CommitInDoubt commitInDoubt) {
        this.transactions = transactions;
        this.commitInDoubt = commitInDoubt;
        this.traces = traces;
        this.wakeups = wakeups;
        this.jobs = jobs;
        this.outbox = outbox;
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * A job queued at once whose key has no cap to take a slot of is one insert that commits on its own, its event
     * sent once it has; any other is saved in a transaction ({@link #save}). A held job is recorded without its event:
     * the admission scheduler sends that when it releases it. The audio's SHA-256 (null if unknown) lets later jobs
     * of the same key reuse this one's transcript. {@code caller} is null for a job of no key; {@code idempotencyKey}
     * (and the request's digest) null for a request sent without one. The job of the one insert is announced by
     * {@code announce} once it has committed, which sends its event ({@link #announce}) or hands it to a worker.
     */
    public TranscriptionJob submit(
            JobId jobId,
            Caller caller,
            Lane lane,
            JobSpec spec,
            StoredAudio audio,
            String sha256,
            KeyLimits.Admission admission,
            String idempotencyKey,
            String requestHash,
            Consumer<TranscriptionJob> announce) {
        TranscriptionJob job = TranscriptionJob.queued(
                jobId, caller == null ? null : caller.keyId(), lane, spec, audio, clock.instant());
        job.contentHash(sha256);
        if (idempotencyKey != null) {
            job.idempotent(idempotencyKey, requestHash);
        }
        return record(caller, job, admission, announce);
    }

    /**
     * Records a new job built by the caller, as {@link #submit} does: a job queued at once whose key has no cap to take
     * a slot of is one insert that commits on its own, its event sent once it has; any other is saved in a
     * transaction ({@link #save}). Call outside a transaction. {@code job} is returned as written, not managed.
     */
    public TranscriptionJob record(Caller caller, TranscriptionJob job, KeyLimits.Admission admission) {
        return record(caller, job, admission, this::announce);
    }

    private TranscriptionJob record(
            Caller caller, TranscriptionJob job, KeyLimits.Admission admission, Consumer<TranscriptionJob> announce) {
        if (admission.held() || (caller != null && limits.takesSlot(caller))) {
            return inTransaction(job.id(), () -> save(caller, job, admission));
        }
        // nothing to do with it but the insert: one statement that commits on its own, then its notice (a transaction
        // around it would cost a round trip more)
        traced(job);
        TranscriptionJob recorded = job;
        try {
            jobs.insertAlone(job);
        } catch (RuntimeException e) {
            // the insert's answer was lost: the job if it was recorded all the same
            recorded = commitInDoubt.recorded(
                    e,
                    "job " + job.id(),
                    job.writerBackend(),
                    () -> jobs.findById(job.id().value()));
        }
        announce.accept(job);
        return recorded;
    }

    /** Sends the event of {@code job}, queued and committed, in its trace. */
    public void announce(TranscriptionJob job) {
        outbox.sendNow(job.lane().topic(), job.id().toString(), new JobSubmitted(job.id()), job.traceparent());
    }

    /**
     * Runs {@code save} (which records the new job {@code jobId} with {@link #save}) in a transaction of its own and
     * returns the job. When the transaction's end was not heard but it committed, the job is read back and its event
     * sent, as its commit would have sent it.
     *
     * @throws OutcomeUnknown when whether it committed cannot be told: keep what the job would own
     */
    public TranscriptionJob inTransaction(JobId jobId, Supplier<TranscriptionJob> save) {
        return commitInDoubt.inTransaction(
                "job " + jobId,
                save,
                () -> jobs.findById(jobId.value()).map(recorded -> {
                    if (recorded.state() == JobState.QUEUED) { // read back: its commit sent no event
                        outbox.sendNow(recorded.lane().topic(), jobId.toString(), new JobSubmitted(jobId), null);
                    }
                    return recorded;
                }));
    }

    /**
     * Saves a new job, held, or queued with its event sent once the transaction commits (a notice without an outbox
     * row: see {@link Outbox#sendAfterCommit}). Call inside the transaction that creates it: a job
     * queued at once takes its key's slot there ({@link KeyLimits#takeSlot}), so parallel submissions cannot pass
     * the key's cap together; a held one tells the admission scheduler, on commit. The job keeps the request's trace,
     * and its id is in the request's log context from here (outside a request, in none: {@link LogContext#request}).
     * The row is inserted at once, without a managed copy ({@link JobRepository#insert}): {@code job} is returned as
     * it was written, not managed.
     */
    public TranscriptionJob save(Caller caller, TranscriptionJob job, KeyLimits.Admission admission) {
        boolean held = admission.held();
        if (caller != null && !held) {
            limits.takeSlot(caller);
        }
        if (held) {
            job.hold();
        }
        traced(job);
        jobs.insert(job);
        if (held) {
            wakeups.notify(Channel.ADMISSION);
        } else {
            // a notice, not an outbox row: a queued job whose message never arrives is sent again by the workers'
            // QueueSweeper, which finds it in the database
            outbox.sendAfterCommit(job.lane().topic(), job.id().toString(), new JobSubmitted(job.id()), null);
        }
        return job;
    }

    /** The job keeps the request's trace, and its id is in the request's log context from here. */
    private void traced(TranscriptionJob job) {
        if (job.traceparent() == null) {
            job.tracedFrom(traces.current());
        }
        LogContext.jobFromHere(job.id());
    }

    /**
     * A failed job of a key whose cap queues, retried: held again, and the admission scheduler told on commit. Call
     * in the transaction that holds {@code job}'s row.
     */
    public void retryHeld(TranscriptionJob job) {
        job.retryHeld();
        wakeups.notify(Channel.ADMISSION);
    }
}
