package dev.transcriber.common.transcript;

/** A response body and its media type. */
public record RenderedTranscript(String body, String contentType) {}
