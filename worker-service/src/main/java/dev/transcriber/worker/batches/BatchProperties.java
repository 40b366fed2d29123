package dev.transcriber.worker.batches;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How batches are expanded: how often workers look for one, how long an expanding worker's claim lasts without
 * renewal and how often it is renewed, how many times an expansion may start before the batch fails, the most items a
 * batch may have, the largest feed document, and what an archive may expand to, all counted as it is inflated whatever
 * its headers claim: {@code maxArchiveExpandedSize} in all (every entry, read or skipped; a tar's whole stream),
 * {@code maxArchiveEntrySize} for any one entry, and, once it has inflated {@code archiveRatioThreshold},
 * {@code maxArchiveRatio} times the archive's bytes read so far (a zip bomb is stopped there).
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
        @DefaultValue("1GB") DataSize maxArchiveEntrySize,
        @DefaultValue("100") int maxArchiveRatio,
        @DefaultValue("16MB") DataSize archiveRatioThreshold) {}
