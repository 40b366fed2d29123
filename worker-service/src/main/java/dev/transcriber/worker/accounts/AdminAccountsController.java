package dev.transcriber.worker.accounts;

import dev.transcriber.common.web.OpenAiErrorBody;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
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
    AccountList list() {
        return AccountList.of(pool);
    }

    @PostMapping("/admin/accounts/{id}/enable")
    AccountList enable(@PathVariable String id) {
        if (!pool.enable(id)) {
            throw new NoSuchAccount(id);
        }
        return AccountList.of(pool);
    }

    /** A re-enable of an account this worker does not know: 404 in OpenAI's error shape. */
    @ExceptionHandler(NoSuchAccount.class)
    ResponseEntity<byte[]> noSuchAccount(NoSuchAccount e) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND)
                .contentType(MediaType.APPLICATION_JSON)
                .body(OpenAiErrorBody.of(
                        "No account '" + e.id + "'.", "invalid_request_error", "account_not_found", "id"));
    }

    private static final class NoSuchAccount extends RuntimeException {

        private final String id;

        NoSuchAccount(String id) {
            super(null, null, false, false);
            this.id = id;
        }
    }
}
