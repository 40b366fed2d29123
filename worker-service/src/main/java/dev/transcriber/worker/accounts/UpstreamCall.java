package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * One transcription to send upstream: the public model id (from the catalog) and its usual upstream name, which an
 * account may override. {@code audio} opens a fresh stream for each attempt, so a retry never needs the audio in
 * memory. {@code timestamps} asks for segment and word timestamps (OpenAI's {@code verbose_json}); only models
 * whose upstream gives them are asked. {@code lane} decides who gets a free account slot first.
 */
public record UpstreamCall(
        String model,
        String usualUpstreamModel,
        String language,
        String prompt,
        Double temperature,
        boolean timestamps,
        Lane lane,
        String filename,
        String contentType,
        long sizeBytes,
        Supplier<InputStream> audio) {}
