package dev.transcriber.api.jobs;

import dev.transcriber.api.keys.Caller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/transcription_jobs/{id}}: a job's state and, once it ended, its result. The id is the one every
 * transcription response carries in {@code X-Transcription-Job-Id}, so a caller whose connection dropped can still
 * fetch the transcript.
 */
@RestController
class JobsController {

    private final JobQueries queries;

    JobsController(JobQueries queries) {
        this.queries = queries;
    }

    @GetMapping("/v1/transcription_jobs/{id}")
    JobView get(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return queries.view(JobQueries.parseId(id), caller);
    }
}
