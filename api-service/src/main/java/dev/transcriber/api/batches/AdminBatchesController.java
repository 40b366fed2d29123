package dev.transcriber.api.batches;

import dev.transcriber.api.jobs.JobFilter;
import dev.transcriber.api.keys.Scope;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * {@code /admin/batches} (the admin token): every key's batches for the operator, through the same queries and
 * commands as a caller's {@code /v1/transcription_batches}, with each batch's {@code key_id}.
 */
@RestController
class AdminBatchesController {

    private final BatchQueries queries;
    private final BatchCommands commands;

    AdminBatchesController(BatchQueries queries, BatchCommands commands) {
        this.queries = queries;
        this.commands = commands;
    }

    @GetMapping("/admin/batches")
    BatchList list(
            @RequestParam(required = false) String status,
            @RequestParam(name = "key_id", required = false) String keyId,
            @RequestParam(required = false) String after,
            @RequestParam(required = false) Integer limit) {
        return queries.list(Scope.EVERY_KEY, status, JobFilter.id(keyId, "key_id"), after, limit);
    }

    @GetMapping("/admin/batches/{id}")
    BatchView get(@PathVariable String id) {
        return queries.view(BatchQueries.parseId(id), Scope.EVERY_KEY);
    }

    @GetMapping("/admin/batches/{id}/results")
    ResponseEntity<StreamingResponseBody> results(@PathVariable String id) {
        return queries.results(BatchQueries.parseId(id), Scope.EVERY_KEY);
    }

    @PostMapping("/admin/batches/{id}/cancel")
    BatchView cancel(@PathVariable String id) {
        return commands.cancel(BatchQueries.parseId(id), Scope.EVERY_KEY);
    }
}
