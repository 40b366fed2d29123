package dev.transcriber.api.batches;

import dev.transcriber.api.jobs.JobList;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.Scope;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * {@code /v1/transcription_batches}: many items in one submission (a list, a podcast feed, or an archive), run in the
 * bulk lane, shared fairly with other keys' batches. A batch is visible only to the key that created it.
 */
@RestController
class BatchesController {

    private final BatchCommands commands;
    private final BatchQueries queries;

    BatchesController(BatchCommands commands, BatchQueries queries) {
        this.commands = commands;
        this.queries = queries;
    }

    @PostMapping(path = "/v1/transcription_batches", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<BatchView> submit(
            @RequestBody BatchRequest request, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(commands.submit(caller, request));
    }

    @GetMapping("/v1/transcription_batches")
    BatchList list(
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return queries.list(Scope.of(caller), null, null, after, limit);
    }

    @GetMapping("/v1/transcription_batches/{id}")
    BatchView get(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return queries.view(BatchQueries.parseId(id), Scope.of(caller));
    }

    @GetMapping("/v1/transcription_batches/{id}/jobs")
    JobList jobs(
            @PathVariable String id,
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit,
            @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return queries.jobs(BatchQueries.parseId(id), Scope.of(caller), after, limit);
    }

    @GetMapping("/v1/transcription_batches/{id}/results")
    ResponseEntity<StreamingResponseBody> results(
            @PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return queries.results(BatchQueries.parseId(id), Scope.of(caller));
    }

    @PostMapping("/v1/transcription_batches/{id}/cancel")
    BatchView cancel(@PathVariable String id, @RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
        return commands.cancel(BatchQueries.parseId(id), Scope.of(caller));
    }
}
