package dev.transcriber.worker.accounts;

import java.time.Instant;

/**
 * Every account that serves the model is cooling down after a 429 (or held back by its own requests-per-minute for
 * longer than the call may wait); the earliest is usable again at {@link #resetsAt}.
 */
public class AllAccountsCoolingException extends RuntimeException {

    private final Instant resetsAt;

    public AllAccountsCoolingException(Instant resetsAt) {
        super("every upstream account is rate-limited until " + resetsAt);
        this.resetsAt = resetsAt;
    }

    public Instant resetsAt() {
        return resetsAt;
    }
}
