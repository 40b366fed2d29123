package dev.transcriber.common.store;

/** What the caller asked for: the public model id and the transcription options. */
public record JobSpec(String model, String responseFormat, String language, String prompt, Double temperature) {}
