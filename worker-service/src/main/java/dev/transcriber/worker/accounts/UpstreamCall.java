package dev.transcriber.worker.accounts;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.store.KnownSpeaker;
import java.io.InputStream;
import java.util.List;
import java.util.function.Supplier;

/**
 * One transcription to send upstream: the public model id (from the catalog) and its usual upstream name, which an
 * account may override. {@code audio} opens a fresh stream for each attempt, so a retry never needs the audio in
 * memory. {@code timestamps} asks for segment and word timestamps (OpenAI's {@code verbose_json}); only models
 * whose upstream gives them are asked. {@code lane} decides who gets a free account slot first. {@code task} says
 * which endpoint is called: transcriptions, or translations (which take no language and no timestamp granularities).
 * {@code logprobs} asks for token log-probabilities ({@code include[]=logprobs}); {@code chunkingStrategy} (null:
 * none) and {@code knownSpeakers} (each a name and its clip as a data URL) are passed on as the caller sent them.
 * {@code diarization} (null: none) asks a model that diarizes for {@code diarized_json}, with the voices already
 * known.
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
        JobTask task,
        boolean logprobs,
        ChunkingStrategy chunkingStrategy,
        List<SpeakerReference> knownSpeakers,
        Diarization diarization) {

    public UpstreamCall {
        task = task == null ? JobTask.TRANSCRIBE : task;
        knownSpeakers = knownSpeakers == null ? List.of() : List.copyOf(knownSpeakers);
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

    /** A transcription or translation without the newer options. */
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
            Supplier<InputStream> audio,
            JobTask task) {
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
                task,
                false,
                null,
                List.of(),
                null);
    }

    public boolean translates() {
        return task == JobTask.TRANSLATE;
    }

    /** A known speaker's name and reference clip, as the upstream takes it: a {@code data:} URL. */
    public record SpeakerReference(String name, String dataUrl) {}

    /**
     * Speaker labels asked for ({@code response_format=diarized_json}), with up to four voices already heard: their
     * names ({@code known_speaker_names[]}) and reference clips as data URLs ({@code known_speaker_references[]}),
     * paired by index.
     */
    public record Diarization(List<String> knownNames, List<String> knownReferences) {

        public static final int MAX_KNOWN_SPEAKERS = KnownSpeaker.MAX_PER_REQUEST;

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
