package dev.transcriber.common.store;

import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.EnumSet;
import java.util.Set;

/** What the caller asked for: the public model id and the transcription options. */
public record JobSpec(
        String model,
        String responseFormat,
        String language,
        String prompt,
        Double temperature,
        Set<TimestampGranularity> timestampGranularities) {

    public JobSpec {
        timestampGranularities = timestampGranularities == null || timestampGranularities.isEmpty()
                ? Set.of(TimestampGranularity.SEGMENT)
                : Set.copyOf(EnumSet.copyOf(timestampGranularities));
    }

    public JobSpec(String model, String responseFormat, String language, String prompt, Double temperature) {
        this(model, responseFormat, language, prompt, temperature, null);
    }
}
