package dev.transcriber.common.store;

import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the caller asked for: the public model id, the transcription options, and the task (transcribe, or translate
 * into English; {@code null} means transcribe, as in batch options stored before there were tasks). {@code logprobs}:
 * the caller sent {@code include[]=logprobs}. {@code chunkingStrategy}: null when not sent. {@code knownSpeakers}: the
 * {@code known_speaker_names[]} paired with their stored {@code known_speaker_references[]}, in order (empty when
 * none).
 */
public record JobSpec(
        String model,
        String responseFormat,
        String language,
        String prompt,
        Double temperature,
        Set<TimestampGranularity> timestampGranularities,
        JobTask task,
        boolean logprobs,
        ChunkingStrategy chunkingStrategy,
        List<KnownSpeaker> knownSpeakers) {

    public JobSpec {
        timestampGranularities = timestampGranularities == null || timestampGranularities.isEmpty()
                ? Set.of(TimestampGranularity.SEGMENT)
                : Set.copyOf(EnumSet.copyOf(timestampGranularities));
        task = task == null ? JobTask.TRANSCRIBE : task;
        knownSpeakers = knownSpeakers == null ? List.of() : List.copyOf(knownSpeakers);
    }

    /**
     * The caller asked for speakers ({@code diarized_json}, accepted only for a model that diarizes): the job's
     * pieces run in waves, each labelled with the voices the earlier ones heard, and its stream sends segments.
     */
    public boolean asksForSpeakers() {
        return ResponseFormat.DIARIZED_JSON.wireName().equals(responseFormat);
    }

    /**
     * The spec as the job row stores it: the timestamp granularities as their comma-separated wire names, the task as
     * stored ({@link JobTask#ofStored}), the chunking strategy as JSON ({@link ChunkingStrategy#fromJson}).
     */
    public static JobSpec stored(
            String model,
            String responseFormat,
            String language,
            String prompt,
            Double temperature,
            String timestampGranularities,
            String task,
            boolean logprobs,
            String chunkingStrategy,
            List<KnownSpeaker> knownSpeakers) {
        return new JobSpec(
                model,
                responseFormat,
                language,
                prompt,
                temperature,
                TimestampGranularity.parse(timestampGranularities),
                JobTask.ofStored(task),
                logprobs,
                ChunkingStrategy.fromJson(chunkingStrategy),
                knownSpeakers);
    }

    /** A transcription or translation without the newer options. */
    public JobSpec(
            String model,
            String responseFormat,
            String language,
            String prompt,
            Double temperature,
            Set<TimestampGranularity> timestampGranularities,
            JobTask task) {
        this(
                model,
                responseFormat,
                language,
                prompt,
                temperature,
                timestampGranularities,
                task,
                false,
                null,
                List.of());
    }

    /** A transcription. */
    public JobSpec(
            String model,
            String responseFormat,
            String language,
            String prompt,
            Double temperature,
            Set<TimestampGranularity> timestampGranularities) {
        this(model, responseFormat, language, prompt, temperature, timestampGranularities, JobTask.TRANSCRIBE);
    }

    public JobSpec(String model, String responseFormat, String language, String prompt, Double temperature) {
        this(model, responseFormat, language, prompt, temperature, null);
    }

    public boolean translates() {
        return task == JobTask.TRANSLATE;
    }

    /** The same request with these known speakers (their clips stored). */
    public JobSpec withKnownSpeakers(List<KnownSpeaker> speakers) {
        return new JobSpec(
                model,
                responseFormat,
                language,
                prompt,
                temperature,
                timestampGranularities,
                task,
                logprobs,
                chunkingStrategy,
                speakers);
    }
}
