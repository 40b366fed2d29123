package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.formats.RenderedTranscript;
import dev.transcriber.api.formats.TranscriptRenderer;
import dev.transcriber.api.intake.TranscriptionOptions;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.TranscriptCodec;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** A finished job's transcript in any format the sync endpoint renders (the job's own format by default). */
@Service
class JobTranscripts {

    private final JobQueries queries;
    private final ModelCatalog catalog;
    private final TranscriptCodec codec;
    private final TranscriptRenderer renderer;

    JobTranscripts(JobQueries queries, ModelCatalog catalog, TranscriptCodec codec, TranscriptRenderer renderer) {
        this.queries = queries;
        this.catalog = catalog;
        this.codec = codec;
        this.renderer = renderer;
    }

    @Transactional(readOnly = true)
    ResponseEntity<String> render(JobId id, Scope scope, String formatName, String granularityNames) {
        TranscriptionJob job = queries.find(id, scope);
        if (job.isDeleted()) {
            throw ApiException.transcriptDeleted(id);
        }
        if (job.state() != JobState.SUCCEEDED) {
            throw new ApiException(
                    HttpStatus.CONFLICT,
                    "invalid_request_error",
                    "job_not_succeeded",
                    "id",
                    "The job is " + job.state().wireName() + "; a transcript exists once it succeeds.");
        }
        if (job.transcriptJson() == null) {
            throw ApiException.transcriptExpired(id);
        }
        ResponseFormat format = TranscriptionOptions.responseFormat(
                formatName == null ? job.spec().responseFormat() : formatName);
        TranscriptionOptions.checkCompatible(format, job.spec().model(), catalog);
        Set<TimestampGranularity> granularities = granularityNames == null
                ? job.spec().timestampGranularities()
                : TranscriptionOptions.granularities(granularityNames);
        RenderedTranscript rendered = renderer.render(
                codec.read(job.transcriptJson()),
                format,
                granularities,
                job.spec().task());
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType(rendered.contentType()))
                .body(rendered.body());
    }
}
