package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Caller;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * The uploads one API key has in progress on this instance, bounded: a form's audio is read as the caller sends it, and
 * a caller that sends it slowly (a byte now and then, within the server's read timeout) holds a connection and a
 * virtual thread for as long as it likes. At most {@code transcriber.api.max-uploads-in-progress-per-key} of one key's
 * forms are read at once; the next gets 429 {@code too_many_uploads} at once, before any of its body is read or the
 * database is asked anything (counted: {@code transcriber.api.uploads.refused}). The count is per instance (a fleet of
 * n api instances lets a key have n times as many), as connections are. What it does not bound: a refused body, which
 * the server still reads (up to its swallow size) at the sender's pace, and JSON bodies.
 */
@Component
public class UploadsInProgress {

    private final int perKey;
    private final Map<UUID, Integer> reading = new ConcurrentHashMap<>();
    private final Counter refused;

    UploadsInProgress(
            @Value("${transcriber.api.max-uploads-in-progress-per-key:64}") int perKey, MeterRegistry meters) {
        if (perKey < 1) {
            throw new IllegalStateException(
                    "transcriber.api.max-uploads-in-progress-per-key must be at least 1; was " + perKey);
        }
        this.perKey = perKey;
        this.refused = Counter.builder("transcriber.api.uploads.refused")
                .description("Uploads refused because their API key had its most uploads in progress on this instance")
                .register(meters);
    }

    /** One upload of {@code caller} under way until the permit is closed; a 429 when the key has its most already. */
    public Permit start(Caller caller) {
        UUID key = caller.keyId();
        boolean[] taken = {false};
        reading.compute(key, (k, count) -> {
            int now = count == null ? 0 : count;
            if (now >= perKey) {
                return count;
            }
            taken[0] = true;
            return now + 1;
        });
        if (!taken[0]) {
            refused.increment();
            throw new ApiException(
                    HttpStatus.TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "too_many_uploads",
                    null,
                    "This API key already has " + perKey + " uploads in progress; send this one when one of them has"
                            + " finished.");
        }
        return new Permit(key);
    }

    /** The uploads in progress on this instance, all keys together. */
    public int total() {
        return reading.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** An upload under way; closing it (once, or more: the later closes do nothing) ends it. */
    public final class Permit implements AutoCloseable {

        private final UUID key;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Permit(UUID key) {
            this.key = key;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                reading.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
            }
        }
    }
}
