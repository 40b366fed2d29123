package dev.transcriber.worker.accounts;

import dev.transcriber.common.web.OpenAiErrorBody;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /admin/accounts} on the worker (the admin token only: {@link dev.transcriber.worker.WorkerSecurity}): each account's state, in flight,
 * successes, failures by kind and latency; and re-enabling an account disabled after a refused key.
 */
@RestController
class AdminAccountsController {

    private final AccountPool pool;

    AdminAccountsController(AccountPool pool) {
        this.pool = pool;
    }

    @GetMapping("/admin/accounts")
    Map<String, List<AccountPool.AccountStatus>> list() {
        return Map.of("data", pool.status());
    }

    @PostMapping("/admin/accounts/{id}/enable")
    ResponseEntity<?> enable(@PathVariable String id) {
        if (!pool.enable(id)) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND)
                    .contentType(MediaType.APPLICATION_JSON)
                    .body(OpenAiErrorBody.of(
                            "No account '" + id + "'.", "invalid_request_error", "account_not_found", "id"));
        }
        return ResponseEntity.ok(Map.of("data", pool.status()));
    }
}
