package dev.transcriber.api.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.transcript.Usage;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/** A job's history, oldest first, as far as the rows kept for it tell it. */
record Timeline(String object, List<Event> data) {

    static Timeline of(List<Event> events) {
        return new Timeline("list", List.copyOf(events));
    }

    /**
     * One event: when (Unix seconds to the millisecond, written as a plain decimal), its name, and what is known of it
     * (or null).
     */
    record Event(BigDecimal at, String event, Detail detail) {

        static Event of(Instant at, String event, Detail detail) {
            return new Event(BigDecimal.valueOf(at.toEpochMilli(), 3), event, detail);
        }
    }

    /** What an event carries; each kind of event its own shape. */
    sealed interface Detail {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Accepted(String lane, String model, Boolean held) implements Detail {}

    /** {@code requeued}: it joined the queue again after a start (a lost lease, a hand-back, a retry). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Queued(String lane, Boolean requeued) implements Detail {}

    /** The first claim; {@code claims}: how many claims in all (the later ones' times are not kept). */
    record Claimed(int attempt, int claims) implements Detail {}

    record PieceDone(int index, String upstream_account) implements Detail {}

    /** A piece that failed (which fails its job). */
    record AttemptFailed(int index, String code) implements Detail {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Succeeded(Usage usage, String upstream_account, String reused_from) implements Detail {}

    record Failed(String code, String message) implements Detail {}

    /** One attempt at delivering one of the job's webhook events. */
    record Webhook(String delivery_id, String event_type, int attempt, Integer status, String error)
            implements Detail {}
}
