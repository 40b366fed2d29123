package dev.transcriber.common.store;

import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What the caller asked for: the public model id and the transcription options. {@code logprobs}: the caller sent
 * {@code include[]=logprobs}. {@code chunkingStrategy}: null when not sent. {@code knownSpeakers}: the
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
        boolean logprobs,
        ChunkingStrategy chunkingStrategy,
        List<KnownSpeaker> knownSpeakers) {

    public JobSpec {
        timestampGranularities = timestampGranularities == null || timestampGranularities.isEmpty()
                ? Set.of(TimestampGranularity.SEGMENT)
                : Set.copyOf(EnumSet.copyOf(timestampGranularities));
        knownSpeakers = knownSpeakers == null ? List.of() : List.copyOf(knownSpeakers);
    }

    public JobSpec(
            String model,
            String responseFormat,
            String language,
            String prompt,
            Double temperature,
            Set<TimestampGranularity> timestampGranularities) {
        this(model, responseFormat, language, prompt, temperature, timestampGranularities, false, null, List.of());
    }

    public JobSpec(String model, String responseFormat, String language, String prompt, Double temperature) {
        this(model, responseFormat, language, prompt, temperature, null);
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
                logprobs,
                chunkingStrategy,
                speakers);
    }
}
