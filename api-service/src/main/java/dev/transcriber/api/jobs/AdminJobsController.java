package dev.transcriber.api.jobs;

import dev.transcriber.api.keys.Scope;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * {@code /admin/jobs} (the admin token: {@link dev.transcriber.api.keys.ApiSecurity}): every key's jobs for the
 * operator, through the same queries and commands as a caller's {@code /v1/transcription_jobs}, with each job's
 * {@code key_id}; filtered by status, model, key, batch and metadata.
 */
@RestController
class AdminJobsController {

    private final JobServices jobs;

    AdminJobsController(JobServices jobs) {
        this.jobs = jobs;
    }

    @GetMapping("/admin/jobs")
    JobList list(
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String model,
            @RequestParam(name = "key_id", required = false) String keyId,
            @RequestParam(name = "batch_id", required = false) String batchId,
            @RequestParam Map<String, String> query) {
        JobFilter filter = new JobFilter(
                status,
                model,
                JobFilter.id(keyId, "key_id"),
                JobFilter.id(batchId, "batch_id"),
                JobFilter.metadata(query),
                null);
        return jobs.queries().list(Scope.EVERY_KEY, filter, after, limit);
    }

    @GetMapping("/admin/jobs/{id}")
    JobView get(@PathVariable String id) {
        return jobs.queries().view(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @GetMapping("/admin/jobs/{id}/transcript")
    ResponseEntity<String> transcript(
            @PathVariable String id,
            @RequestParam(name = "response_format", required = false) String format,
            @RequestParam(name = "timestamp_granularities[]", required = false) String granularities) {
        return jobs.transcripts().render(JobQueries.parseId(id), Scope.EVERY_KEY, format, granularities);
    }

    @GetMapping("/admin/jobs/{id}/timeline")
    Timeline timeline(@PathVariable String id) {
        return jobs.timeline().of(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @GetMapping("/admin/jobs/{id}/audio")
    ResponseEntity<StreamingResponseBody> audio(@PathVariable String id) {
        return jobs.audio().stream(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @PostMapping("/admin/jobs/{id}/cancel")
    JobView cancel(@PathVariable String id) {
        return jobs.commands().cancel(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @PostMapping("/admin/jobs/{id}/retry")
    JobView retry(@PathVariable String id) {
        return jobs.commands().retry(JobQueries.parseId(id), Scope.EVERY_KEY);
    }

    @DeleteMapping("/admin/jobs/{id}")
    JobCommands.Deleted delete(@PathVariable String id) {
        return jobs.commands().delete(JobQueries.parseId(id), Scope.EVERY_KEY);
    }
}
