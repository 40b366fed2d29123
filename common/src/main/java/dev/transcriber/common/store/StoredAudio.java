package dev.transcriber.common.store;

/** Where a job's audio lies in the object store, and what the caller said about it. */
public record StoredAudio(String objectKey, String filename, String contentType, long sizeBytes) {}
