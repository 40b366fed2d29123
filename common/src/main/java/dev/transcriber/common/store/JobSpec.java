package dev.transcriber.common.store;

import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.EnumSet;
import java.util.Set;

/**
 * What the caller asked for: the public model id, the transcription options, and the task (transcribe, or translate
 * into English; {@code null} means transcribe, as in batch options stored before there were tasks).
 */
public record JobSpec(
        String model,
        String responseFormat,
        String language,
        String prompt,
        Double temperature,
        Set<TimestampGranularity> timestampGranularities,
        JobTask task) {

    public JobSpec {
        timestampGranularities = timestampGranularities == null || timestampGranularities.isEmpty()
                ? Set.of(TimestampGranularity.SEGMENT)
                : Set.copyOf(EnumSet.copyOf(timestampGranularities));
        task = task == null ? JobTask.TRANSCRIBE : task;
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
}
