package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.JobTask;
import java.io.InputStream;
import java.util.function.Supplier;

/**
 * One transcription to send upstream: the public model id (from the catalog) and its usual upstream name, which an
 * account may override. {@code audio} opens a fresh stream for each attempt, so a retry never needs the audio in
 * memory. {@code timestamps} asks for segment and word timestamps (OpenAI's {@code verbose_json}); only models
 * whose upstream gives them are asked. {@code lane} decides who gets a free account slot first. {@code task} says
 * which endpoint is called: transcriptions, or translations (which take no language and no timestamp granularities).
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
        Supplier<InputStream> audio,
        JobTask task) {

    public UpstreamCall {
        task = task == null ? JobTask.TRANSCRIBE : task;
    }

    /** A transcription. */
    public UpstreamCall(
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
            Supplier<InputStream> audio) {
        this(
                model,
                usualUpstreamModel,
                language,
                prompt,
                temperature,
                timestamps,
                lane,
                filename,
                contentType,
                sizeBytes,
                audio,
                JobTask.TRANSCRIBE);
    }

    public boolean translates() {
        return task == JobTask.TRANSLATE;
    }
}
