package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import java.io.InputStream;
import java.util.List;
import java.util.function.Supplier;

/**
 * One transcription to send upstream: the public model id (from the catalog) and its usual upstream name, which an
 * account may override. {@code audio} opens a fresh stream for each attempt, so a retry never needs the audio in
 * memory. {@code timestamps} asks for segment and word timestamps (OpenAI's {@code verbose_json}); only models
 * whose upstream gives them are asked. {@code lane} decides who gets a free account slot first. {@code diarization}
 * (null: none) asks a model that diarizes for {@code diarized_json}, with the voices already known.
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
        Diarization diarization) {

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
                null);
    }

    /**
     * Speaker labels asked for ({@code response_format=diarized_json}), with up to four voices already heard: their
     * names ({@code known_speaker_names[]}) and reference clips as data URLs ({@code known_speaker_references[]}),
     * paired by index.
     */
    public record Diarization(List<String> knownNames, List<String> knownReferences) {

        public static final int MAX_KNOWN_SPEAKERS = 4;

        public Diarization {
            if (knownNames.size() != knownReferences.size() || knownNames.size() > MAX_KNOWN_SPEAKERS) {
                throw new IllegalArgumentException("at most " + MAX_KNOWN_SPEAKERS + " names, each with a reference");
            }
            knownNames = List.copyOf(knownNames);
            knownReferences = List.copyOf(knownReferences);
        }

        public static Diarization unknownSpeakers() {
            return new Diarization(List.of(), List.of());
        }
    }
}
