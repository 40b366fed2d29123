package dev.transcriber.api.formats;

/** A response body and its media type. */
public record RenderedTranscript(String body, String contentType) {}
