package dev.transcriber.api.jobs;

import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.Scope;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * {@code /v1/transcription_jobs}: async jobs for callers who do not hold a connection open. The sync endpoint's jobs
 * are the same jobs: the id in {@code X-Transcription-Job-Id} can be fetched here, with its timeline and its stored
 * audio. A job is visible only to the key that created it.
 */
@RestController
class JobsController {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final JobServices jobs;

    JobsController(JobServices jobs) {
        this.jobs = jobs;
    }

    @PostMapping("/v1/transcription_jobs")
    ResponseEntity<JobView> submit(
            HttpServletRequest request,
            @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return accepted(jobs.commands().submit(caller, request, idempotencyKey));
    }

    @PostMapping(path = "/v1/transcription_jobs", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<JobView> submitJson(
            @RequestBody JobRequest body,
            @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return accepted(jobs.commands().submit(caller, body, idempotencyKey));
    }

    private static ResponseEntity<JobView> accepted(JobCommands.Submitted submitted) {
        return ResponseEntity.status(HttpStatus.ACCEPTED)
                .header("Idempotent-Replayed", String.valueOf(submitted.replayed()))
                .body(submitted.job());
    }

    @GetMapping("/v1/transcription_jobs")
    JobList list(
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String model,
            @RequestParam(name = "batch_id", required = false) String batchId,
            @RequestParam(name = "idempotency_key", required = false) String idempotencyKey,
            @RequestParam Map<String, String> query,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        JobFilter filter = new JobFilter(
                status, model, null, JobFilter.id(batchId, "batch_id"), JobFilter.metadata(query), idempotencyKey);
        return jobs.queries().list(Scope.of(caller), filter, after, limit);
    }

    @GetMapping("/v1/transcription_jobs/{id}")
    JobView get(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.queries().view(JobQueries.parseId(id), Scope.of(caller));
    }

    @GetMapping("/v1/transcription_jobs/{id}/transcript")
    ResponseEntity<String> transcript(
            @PathVariable String id,
            @RequestParam(name = "response_format", required = false) String format,
            @RequestParam(name = "timestamp_granularities[]", required = false) String granularities,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.transcripts().render(JobQueries.parseId(id), Scope.of(caller), format, granularities);
    }

    @GetMapping("/v1/transcription_jobs/{id}/timeline")
    Timeline timeline(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.timeline().of(JobQueries.parseId(id), Scope.of(caller));
    }

    @GetMapping("/v1/transcription_jobs/{id}/audio")
    ResponseEntity<StreamingResponseBody> audio(
            @PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.audio().stream(JobQueries.parseId(id), Scope.of(caller));
    }

    @PostMapping("/v1/transcription_jobs/{id}/cancel")
    JobView cancel(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.commands().cancel(JobQueries.parseId(id), Scope.of(caller));
    }

    @PostMapping("/v1/transcription_jobs/{id}/retry")
    JobView retry(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.commands().retry(JobQueries.parseId(id), Scope.of(caller));
    }

    @DeleteMapping("/v1/transcription_jobs/{id}")
    JobCommands.Deleted delete(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return jobs.commands().delete(JobQueries.parseId(id), Scope.of(caller));
    }
}
