package dev.transcriber.worker.webhooks;

import java.sql.Timestamp;
import java.time.Instant;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Endpoint health learnt from answers: a 2xx from an endpoint (scheme, host and port of the URL) means it is up, so
 * its other deliveries waiting for a retry need not wait out their schedule. They are brought forward, oldest first,
 * the k-th to {@code now + k / rate} seconds, so a receiver just back is not flooded; each of them, once delivered,
 * brings the rest forward again from its own answer, which never moves one earlier than its slot (and nothing ever
 * moves later). Nothing else changes: no attempt is counted (the brought-forward attempt replaces the scheduled one;
 * if it fails, the schedule goes on from there) and the event keeps its id. Left alone: deliveries a sender holds
 * (their attempt is under way) and those whose receiver last answered 429 (it asked for the wait). While an endpoint
 * is down nothing is held back: new deliveries are tried on schedule, and the first to get a 2xx is how the system
 * learns the endpoint is back.
 */
final class EndpointRecovery {

    /** At most this many deliveries are brought forward per 2xx; each of them, once delivered, brings more. */
    private static final int MAX_PER_ANSWER = 1000;

    private final JdbcClient jdbc;
    private final double spacingMillis;

    EndpointRecovery(JdbcClient jdbc, double ratePerSecond) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("transcriber.webhooks.recovery-rate must be positive");
        }
        this.jdbc = jdbc;
        this.spacingMillis = 1000 / ratePerSecond;
    }

    /**
     * Call in the transaction that records {@code deliveredId}'s 2xx. Returns how many deliveries to its endpoint
     * were brought forward.
     */
    int upAgain(String deliveredId, Instant now) {
        return jdbc.sql("with waiting as (select w.id, w.created_at from webhook_deliveries w, webhook_deliveries d"
                        + " where d.id = :delivered and w.endpoint = d.endpoint and w.id <> d.id"
                        + " and w.state = 'PENDING' and w.next_attempt_at > :now"
                        + " and (w.sending_until is null or w.sending_until <= :now)"
                        + " and w.last_status is distinct from 429"
                        + " order by w.created_at, w.id limit :max for update of w skip locked),"
                        + " slots as (select id, cast(:now as timestamptz) + row_number() over (order by created_at, id)"
                        + " * (cast(:spacing as double precision) * interval '1 millisecond') as due from waiting)"
                        + " update webhook_deliveries u set next_attempt_at = slots.due from slots"
                        + " where u.id = slots.id and u.next_attempt_at > slots.due")
                .param("delivered", deliveredId)
                .param("now", Timestamp.from(now))
                .param("max", MAX_PER_ANSWER)
                .param("spacing", spacingMillis)
                .update();
    }
}
