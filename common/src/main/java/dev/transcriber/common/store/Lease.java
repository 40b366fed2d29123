package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.time.Instant;

/**
 * A worker's hold on a running job: who, and until when unless renewed. A job nobody holds has none (null).
 *
 * @param owner the worker's name ({@code transcriber.worker.id})
 * @param until when another worker may take the job over
 */
@Embeddable
public record Lease(
        @Column(name = "lease_owner") String owner,
        @Column(name = "lease_until") Instant until) {

    /** The holder stopped renewing: another worker may take the job. */
    public boolean expiredAt(Instant now) {
        return until != null && until.isBefore(now);
    }
}
