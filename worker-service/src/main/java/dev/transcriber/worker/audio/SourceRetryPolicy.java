package dev.transcriber.worker.audio;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.function.Supplier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The retry policy for fetching a job's audio_url, as an object: a transient failure (the origin unreachable, a cut
 * connection, an origin 5xx, 429 or 408) is tried again with exponential back-off, {@code
 * transcriber.audio.fetch-attempts} times in all (default 4: waits of 2, 6 and 18 s). The waits run on the job's
 * virtual thread while its lease is renewed. A refusal (4xx, a disallowed address, too large) is not retried.
 */
@Component
public class SourceRetryPolicy {

    private final Retry retry;

    SourceRetryPolicy(
            @Value("${transcriber.audio.fetch-attempts:4}") int attempts,
            @Value("${transcriber.audio.fetch-backoff:2s}") Duration firstBackoff) {
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(attempts)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(firstBackoff, 3.0))
                .retryExceptions(AudioSourceUnavailableException.class)
                .build();
        this.retry = Retry.of("audio-source", config);
    }

    /** Runs {@code fetch}, again after a transient failure; the last failure is thrown when every attempt failed. */
    public <T> T call(Supplier<T> fetch) {
        return Retry.decorateSupplier(retry, fetch).get();
    }
}
