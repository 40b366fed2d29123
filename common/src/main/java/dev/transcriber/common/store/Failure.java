package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.time.Instant;

/**
 * Why a job failed, as its owner is told. None (null) unless the job failed.
 *
 * @param code a {@link FailureCode} name
 * @param message the text given to the caller (kept fit for its column: {@link StoredText#message})
 * @param resetsAt for a rate-limited failure, when the upstream quota resets; null otherwise
 */
@Embeddable
public record Failure(
        @Column(name = "failure_code") String code,
        @Column(name = "failure_message") String message,
        @Column(name = "failure_resets_at") Instant resetsAt) {

    public Failure {
        message = StoredText.message(message);
    }
}
