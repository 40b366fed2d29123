package dev.transcriber.api.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import java.time.Clock;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Records a job and its {@link JobSubmitted} event in one transaction: once this returns, the job is not lost. */
@Service
public class JobSubmission {

    private final JobRepository jobs;
    private final Outbox outbox;
    private final Clock clock;

    JobSubmission(JobRepository jobs, Outbox outbox, Clock clock) {
        this.jobs = jobs;
        this.outbox = outbox;
        this.clock = clock;
    }

    /**
     * A {@code held} job is recorded without its event: the admission scheduler sends that when it releases it. The
     * audio's SHA-256 (null if unknown) lets later jobs of the same key reuse this one's transcript.
     */
    @Transactional
    public TranscriptionJob submit(
            JobId jobId, UUID apiKeyId, Lane lane, JobSpec spec, StoredAudio audio, String sha256, boolean held) {
        TranscriptionJob job = TranscriptionJob.queued(jobId, apiKeyId, lane, spec, audio, clock.instant());
        job.contentHash(sha256);
        return save(job, held);
    }

    /** Saves a new job, held or with its event in the outbox. Call inside the transaction that creates it. */
    public TranscriptionJob save(TranscriptionJob job, boolean held) {
        if (held) {
            job.hold();
        }
        TranscriptionJob saved = jobs.save(job);
        if (!held) {
            outbox.add(job.lane().topic(), job.id().toString(), new JobSubmitted(job.id()));
        }
        return saved;
    }
}
