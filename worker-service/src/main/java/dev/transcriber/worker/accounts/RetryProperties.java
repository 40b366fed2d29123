package dev.transcriber.worker.accounts;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/** How failed upstream calls are retried: exponential back-off with jitter, a bounded number of attempts. */
@ConfigurationProperties("transcriber.upstream.retry")
public record RetryProperties(
        @DefaultValue("4") int maxAttempts,
        @DefaultValue("500ms") Duration initialBackoff,
        @DefaultValue("2.0") double multiplier,
        @DefaultValue("0.5") double jitter,
        @DefaultValue("10s") Duration maxBackoff) {}
