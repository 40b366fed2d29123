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

    @Transactional
    public TranscriptionJob submit(JobId jobId, UUID apiKeyId, Lane lane, JobSpec spec, StoredAudio audio) {
        TranscriptionJob job = jobs.save(TranscriptionJob.queued(jobId, apiKeyId, lane, spec, audio, clock.instant()));
        outbox.add(lane.topic(), jobId.toString(), new JobSubmitted(jobId));
        return job;
    }
}
