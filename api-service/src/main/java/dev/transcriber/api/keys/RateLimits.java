package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ApiException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;

/**
 * Requests per minute per key, shared by every api instance: each request adds one to its key's row for the current
 * minute in one atomic upsert, so N allowed requests are N across all instances. Old windows are swept.
 */
@Service
public class RateLimits {

    private final JdbcClient jdbc;
    private final Clock clock;

    RateLimits(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** The limit, what is left of it and when the window resets, after counting this request. */
    public record Window(int limit, int remaining, Instant resetsAt, boolean exceeded) {

        /** {@code X-RateLimit-Reset-Requests} as OpenAI writes it ({@code 12s}, {@code 1m0s}). */
        public String resetHeader(Instant now) {
            long seconds = Math.max(0, Duration.between(now, resetsAt).toSeconds());
            return seconds >= 60 ? (seconds / 60) + "m" + (seconds % 60) + "s" : seconds + "s";
        }
    }

    public Window count(UUID keyId, int limit) {
        Instant now = clock.instant();
        Instant window = now.truncatedTo(ChronoUnit.MINUTES);
        int used = jdbc.sql("insert into rate_windows (api_key_id, window_start, requests) values (:key, :window, 1)"
                        + " on conflict (api_key_id, window_start) do update set requests = rate_windows.requests + 1"
                        + " returning requests")
                .param("key", keyId)
                .param("window", Timestamp.from(window))
                .query(Integer.class)
                .single();
        Instant resets = window.plus(Duration.ofMinutes(1));
        return new Window(limit, Math.max(0, limit - used), resets, used > limit);
    }

    /** Seed 000's 429. */
    public static ApiException exceeded(Window window) {
        return new ApiException(
                        org.springframework.http.HttpStatus.TOO_MANY_REQUESTS,
                        "rate_limit_error",
                        "rate_limit_exceeded",
                        null,
                        "Rate limit exceeded. Usage resets at " + window.resetsAt() + ".")
                .resetsAt(window.resetsAt());
    }

    @Scheduled(fixedDelay = 60_000)
    void sweep() {
        jdbc.sql("delete from rate_windows where window_start < :before")
                .param("before", Timestamp.from(clock.instant().minus(Duration.ofMinutes(5))))
                .update();
    }
}
