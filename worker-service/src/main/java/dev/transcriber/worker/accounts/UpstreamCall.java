package dev.transcriber.worker.accounts;

import java.io.InputStream;
import java.util.function.Supplier;

/**
 * One transcription to send upstream: the public model id (from the catalog) and its usual upstream name, which an
 * account may override. {@code audio} opens a fresh stream for each attempt, so a retry never needs the audio in
 * memory.
 */
public record UpstreamCall(
        String model,
        String usualUpstreamModel,
        String language,
        String prompt,
        Double temperature,
        String filename,
        String contentType,
        long sizeBytes,
        Supplier<InputStream> audio) {}
