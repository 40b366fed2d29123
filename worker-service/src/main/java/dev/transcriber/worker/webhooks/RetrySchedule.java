package dev.transcriber.worker.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.stereotype.Component;

/**
 * When a failed delivery is tried next: the schedule's delay for the attempt that comes next, with jitter, or never
 * once the schedule has run out. A receiver's {@code Retry-After} (on 429, 502, 504) moves the attempt later, never
 * earlier.
 */
@Component
class RetrySchedule {

    private final List<Duration> delays;
    private final double jitter;

    RetrySchedule(WebhookProperties properties) {
        this.delays = List.copyOf(properties.schedule());
        this.jitter = properties.jitter();
    }

    /** After {@code attemptsMade} attempts, when the next one is due; empty when there is none left. */
    Optional<Instant> next(int attemptsMade, Instant now, Duration retryAfter) {
        if (attemptsMade >= delays.size()) {
            return Optional.empty();
        }
        long millis = delays.get(attemptsMade).toMillis();
        double factor = 1 + (jitter > 0 ? ThreadLocalRandom.current().nextDouble(-jitter, jitter) : 0);
        Duration delay = Duration.ofMillis(Math.round(millis * factor));
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter;
        }
        return Optional.of(now.plus(delay));
    }
}
