package dev.transcriber.worker.accounts;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.springframework.stereotype.Component;

/**
 * The retry policy for upstream calls, as an object: which failures are retried ({@link UpstreamException.Retryable}
 * only; never a 4xx rejection or a missing account), how often, and how long to wait in between.
 */
@Component
public class UpstreamRetryPolicy {

    private final Retry retry;

    UpstreamRetryPolicy(RetryProperties properties) {
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(properties.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        properties.initialBackoff(),
                        properties.multiplier(),
                        properties.jitter(),
                        properties.maxBackoff()))
                .retryExceptions(UpstreamException.Retryable.class)
                .ignoreExceptions(UpstreamException.Rejected.class, NoAccountsException.class)
                .failAfterMaxAttempts(false)
                .build();
        this.retry = Retry.of("upstream", config);
    }

    public Retry retry() {
        return retry;
    }
}
