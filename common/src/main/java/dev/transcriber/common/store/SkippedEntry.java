package dev.transcriber.common.store;

/**
 * An entry of a batch's source that became no item, and why: a feed's episode without an audio enclosure, an
 * archive's file that is not audio, a link, an empty file. The worker records them while it expands the batch
 * ({@link TranscriptionBatch#skipped()}), the api shows them as they are stored, in this order of fields.
 *
 * @param name the entry's name in its source (an archive's path, an episode's title or guid), truncated
 * @param reason why it became no item
 */
public record SkippedEntry(String name, String reason) {}
