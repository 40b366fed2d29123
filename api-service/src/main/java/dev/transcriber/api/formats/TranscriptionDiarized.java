package dev.transcriber.api.formats;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import java.util.List;

/**
 * {@code response_format=diarized_json}, OpenAI's {@code TranscriptionDiarized}: the duration, the text, and the
 * segments each labelled with its speaker; the usage when there is one.
 */
record TranscriptionDiarized(
        String task,
        Double duration,
        String text,
        List<DiarizedSegment> segments,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    static TranscriptionDiarized of(Transcript transcript) {
        return new TranscriptionDiarized(
                "transcribe",
                transcript.duration(),
                transcript.text(),
                transcript.segments().stream().map(DiarizedSegment::of).toList(),
                transcript.usage());
    }
}
