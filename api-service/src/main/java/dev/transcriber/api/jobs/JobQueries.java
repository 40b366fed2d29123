package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.util.Objects;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;

/** Reads jobs for their owners. A job of another key is reported as not found, like one that does not exist. */
@Service
class JobQueries {

    private final JobRepository jobs;
    private final TranscriptCodec codec;

    JobQueries(JobRepository jobs, TranscriptCodec codec) {
        this.jobs = jobs;
        this.codec = codec;
    }

    JobView view(JobId id, Caller caller) {
        TranscriptionJob job = jobs.findById(id.value())
                .filter(j -> Objects.equals(j.apiKeyId(), caller.keyId()))
                .orElseThrow(() -> notFound(id.toString()));
        OpenAiError.Body error = null;
        if (job.state() == JobState.FAILED) {
            error = OpenAiError.of(
                            ApiException.jobFailed(job.failureCode(), job.failureMessage(), job.failureResetsAt()))
                    .error();
        }
        return new JobView(
                job.id().toString(),
                "transcription_job",
                job.state().name().toLowerCase(),
                job.spec().model(),
                job.spec().responseFormat(),
                job.createdAt().getEpochSecond(),
                job.finishedAt() == null ? null : job.finishedAt().getEpochSecond(),
                job.upstreamAccount(),
                job.state() == JobState.SUCCEEDED ? codec.read(job.transcriptJson()) : null,
                error);
    }

    static JobId parseId(String id) {
        try {
            return JobId.parse(id);
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    private static ApiException notFound(String id) {
        return new ApiException(
                HttpStatus.NOT_FOUND, "invalid_request_error", "not_found", "id", "No transcription job '" + id + "'.");
    }
}
