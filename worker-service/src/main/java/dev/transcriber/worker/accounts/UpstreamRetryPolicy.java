package dev.transcriber.worker.accounts;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.springframework.stereotype.Component;

/**
 * The retry policy for upstream calls, as an object. Server errors, timeouts and resets are retried with exponential
 * back-off and jitter; a 429 or a refused key (401) is retried at once (the next attempt goes to another account,
 * since that one is cooling down or disabled); a 403 too, which disables nothing but is not asked of that account again
 * for the call (once every account has refused it, the refusal is final: {@link UpstreamTranscriber}); a 4xx
 * rejection, a missing account or every account cooling are not.
 */
@Component
public class UpstreamRetryPolicy {

    private final Retry retry;

    UpstreamRetryPolicy(RetryProperties properties) {
        IntervalFunction backOff = IntervalFunction.ofExponentialRandomBackoff(
                properties.initialBackoff(), properties.multiplier(), properties.jitter(), properties.maxBackoff());
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(properties.maxAttempts())
                .intervalBiFunction((attempt, outcome) ->
                        outcome.isLeft() && failsOver(outcome.getLeft()) ? 0L : backOff.apply(attempt))
                .retryExceptions(
                        UpstreamException.Retryable.class,
                        UpstreamException.RateLimited.class,
                        UpstreamException.Unauthorized.class)
                .ignoreExceptions(
                        UpstreamException.Rejected.class, NoAccountsException.class, AllAccountsCoolingException.class)
                .failAfterMaxAttempts(false)
                .build();
        this.retry = Retry.of("upstream", config);
    }

    private static boolean failsOver(Throwable failure) {
        return failure instanceof UpstreamException.RateLimited || failure instanceof UpstreamException.Unauthorized;
    }

    public Retry retry() {
        return retry;
    }
}
