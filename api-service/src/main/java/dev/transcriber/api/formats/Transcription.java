package dev.transcriber.api.formats;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.common.transcript.Logprob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import java.util.List;

/**
 * {@code response_format=json}: the text; the tokens' log-probabilities only for a job that asked for them
 * ({@code include[]=logprobs}), and the usage when there is one.
 */
record Transcription(
        String text,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Logprob> logprobs,
        @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {

    static Transcription of(Transcript transcript) {
        return new Transcription(transcript.text(), transcript.logprobs(), transcript.usage());
    }
}
