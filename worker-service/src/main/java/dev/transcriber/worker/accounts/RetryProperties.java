package dev.transcriber.worker.accounts;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/** How failed upstream calls are retried: exponential back-off with jitter, a bounded number of attempts. *
 * @param maxAttempts Attempts of one upstream call in all, the first included; then 502 {@code upstream_error}.
 * @param initialBackoff The wait before the first retry.
 * @param multiplier How much each wait grows over the one before.
 * @param jitter The share by which each wait is randomly lengthened or shortened (0.5: ±50%).
 * @param maxBackoff The longest wait between two attempts.
 */
@ConfigurationProperties("transcriber.upstream.retry")
public record RetryProperties(
        @DefaultValue("4") int maxAttempts,
        @DefaultValue("500ms") Duration initialBackoff,
        @DefaultValue("2.0") double multiplier,
        @DefaultValue("0.5") double jitter,
        @DefaultValue("10s") Duration maxBackoff) {}
