package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * The worker's changes to job rows, each in its own transaction, each announcing itself through the outbox. Every
 * change goes through the job's own state machine.
 */
@Component
class JobLifecycle {

    private final JobRepository jobs;
    private final Outbox outbox;
    private final TranscriptCodec codec;
    private final Clock clock;

    JobLifecycle(JobRepository jobs, Outbox outbox, TranscriptCodec codec, Clock clock) {
        this.jobs = jobs;
        this.outbox = outbox;
        this.codec = codec;
        this.clock = clock;
    }

    /** Takes the job for {@code worker} when nobody else holds it; empty when it is done or taken. */
    @Transactional
    public Optional<TranscriptionJob> claim(JobId id, String worker, Duration lease) {
        Instant now = clock.instant();
        Optional<TranscriptionJob> job = jobs.findById(id.value()).filter(j -> j.isClaimable(now));
        job.ifPresent(j -> j.claim(worker, now.plus(lease), now));
        return job;
    }

    @Transactional
    public void succeed(JobId id, Transcript transcript, String account) {
        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        job.succeed(codec.write(transcript), account, clock.instant());
        announceEnd(job);
    }

    @Transactional
    public void fail(JobId id, FailureCode code, String message) {
        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        job.fail(code, message, clock.instant());
        announceEnd(job);
    }

    @Transactional
    public void failRateLimited(JobId id, Instant resetsAt) {
        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        job.failRateLimited(resetsAt, clock.instant());
        announceEnd(job);
    }

    /** Extends the leases this worker holds on running jobs. */
    @Transactional
    public int renew(Collection<UUID> ids, String worker, Instant until) {
        return ids.isEmpty() ? 0 : jobs.renewLeases(ids, worker, until);
    }

    /** Running jobs whose worker stopped renewing its lease. */
    @Transactional(readOnly = true)
    public List<JobId> expired(int limit) {
        return jobs.findExpiredLeases(clock.instant(), Limit.of(limit)).stream()
                .map(TranscriptionJob::id)
                .toList();
    }

    /** An abandoned job goes back to the queue, or fails once it has been started too often. */
    @Transactional
    public void recover(JobId id, int maxAttempts) {
        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        if (!job.isClaimable(clock.instant()) || job.state() != JobState.RUNNING) {
            return;
        }
        if (job.attempts() >= maxAttempts) {
            job.fail(
                    FailureCode.INTERNAL,
                    "The job was started " + job.attempts() + " times without finishing.",
                    clock.instant());
            announceEnd(job);
        } else {
            job.requeue();
            outbox.add(Topics.JOBS, id.toString(), new JobSubmitted(id));
        }
    }

    private void announceEnd(TranscriptionJob job) {
        outbox.add(
                Topics.FINISHED,
                job.id().toString(),
                new JobFinished(job.id(), job.state().name()));
    }
}
