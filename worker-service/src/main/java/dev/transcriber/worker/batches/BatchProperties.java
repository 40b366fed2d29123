package dev.transcriber.worker.batches;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How batches are expanded: how often workers look for one, how long an expanding worker's claim lasts without
 * renewal and how often it is renewed, how many times an expansion may start before the batch fails, the most items a batch may have, the largest feed document, and how many bytes an archive may expand to
 * (its entries' content, read as it is inflated: a zip bomb is stopped there, whatever its headers claim).
 */
@ConfigurationProperties("transcriber.batches")
public record BatchProperties(
        @DefaultValue("500ms") Duration expandInterval,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("20s") Duration leaseRenewal,
        @DefaultValue("3") int maxExpansionAttempts,
        @DefaultValue("10000") int maxItems,
        @DefaultValue("20MB") DataSize maxFeedSize,
        @DefaultValue("20GB") DataSize maxArchiveExpandedSize,
        @DefaultValue("1GB") DataSize maxArchiveEntrySize) {}
