package dev.transcriber.api.formats;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import java.util.List;
import java.util.Set;

/**
 * {@code response_format=verbose_json}: the language, duration and text, with the segments and the words as
 * {@code timestamp_granularities[]} asks (each left out when not asked), and the usage when there is one.
 */
record TranscriptionVerbose(
        String task,
        String language,
        Double duration,
        String text,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Transcript.Segment> segments,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Transcript.Word> words,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    /** {@code transcript}, which has timestamps, with the granularities asked for. */
    static TranscriptionVerbose of(Transcript transcript, Set<TimestampGranularity> granularities) {
        return new TranscriptionVerbose(
                "transcribe",
                transcript.language(),
                transcript.duration(),
                transcript.text(),
                granularities.contains(TimestampGranularity.SEGMENT) ? transcript.segments() : null,
                granularities.contains(TimestampGranularity.WORD)
                        ? transcript.words() == null ? List.of() : transcript.words()
                        : null,
                transcript.usage());
    }
}
