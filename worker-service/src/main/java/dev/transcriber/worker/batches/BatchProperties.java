package dev.transcriber.worker.batches;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * How batches are expanded: how long workers may go without looking for one (they look at once when one is accepted),
 * how long an expanding worker's claim lasts without
 * renewal and how often it is renewed, how many times an expansion may start before the batch fails, the most items a
 * batch may have, the largest feed document, and what an archive may expand to, all counted as it is inflated whatever
 * its headers claim: {@code maxArchiveExpandedSize} in all (every entry, read or skipped; a tar's whole stream),
 * {@code maxArchiveEntrySize} for any one entry, and, once it has inflated {@code archiveRatioThreshold},
 * {@code maxArchiveRatio} times the archive's bytes read so far (a zip bomb is stopped there).
 *
 * @param expandInterval The longest workers go without looking for a batch to expand; they also look as soon as one
 *     is accepted.
 * @param lease How long an expanding worker's claim on a batch lasts without renewal.
 * @param leaseRenewal How often the expanding worker renews its claim.
 * @param maxExpansionAttempts How many times an expansion may start before the batch fails with
 *     {@code expansion_failed}.
 * @param maxItems The most items a batch may have; an archive may hold at most ten times as many entries.
 * @param maxFeedSize The largest podcast feed document.
 * @param maxArchiveExpandedSize What an archive may inflate to in all, counted as read whatever its headers claim.
 * @param maxArchiveEntrySize What one entry of an archive may inflate to.
 * @param maxArchiveRatio Once past {@code archiveRatioThreshold}, the most an archive may inflate to, as a multiple of
 *     its bytes read so far.
 * @param archiveRatioThreshold How much an archive may inflate before {@code maxArchiveRatio} applies.
 */
@ConfigurationProperties("transcriber.batches")
public record BatchProperties(
        @DefaultValue("5s") Duration expandInterval,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("20s") Duration leaseRenewal,
        @DefaultValue("3") int maxExpansionAttempts,
        @DefaultValue("10000") int maxItems,
        @DefaultValue("20MB") DataSize maxFeedSize,
        @DefaultValue("20GB") DataSize maxArchiveExpandedSize,
        @DefaultValue("1GB") DataSize maxArchiveEntrySize,
        @DefaultValue("100") int maxArchiveRatio,
        @DefaultValue("16MB") DataSize archiveRatioThreshold) {}
