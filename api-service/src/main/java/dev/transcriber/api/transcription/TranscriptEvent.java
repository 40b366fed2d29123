package dev.transcriber.api.transcription;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.common.transcript.Logprob;
import dev.transcriber.common.transcript.Usage;
import java.util.List;

/**
 * The {@code data:} events of a {@code stream=true} answer, as OpenAI sends them: text deltas, then the done event,
 * or an error. A diarized stream sends {@link dev.transcriber.api.formats.DiarizedSegment}s instead of deltas.
 */
sealed interface TranscriptEvent {

    /**
     * {@code transcript.text.delta}: text that later pieces cannot change, with its words' tokens when the job asked
     * for log-probabilities (an empty list when there are none new).
     */
    record Delta(
            String type,
            String delta,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<Logprob> logprobs) implements TranscriptEvent {
        Delta(String delta, List<Logprob> logprobs) {
            this("transcript.text.delta", delta, logprobs);
        }
    }

    /** {@code transcript.text.done}: the whole text, with every token when asked and the usage when there is one. */
    record Done(
            String type,
            String text,
            @JsonInclude(JsonInclude.Include.NON_NULL) List<Logprob> logprobs,
            @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage)
            implements TranscriptEvent {
        Done(String text, List<Logprob> logprobs, Usage usage) {
            this("transcript.text.done", text, logprobs, usage);
        }
    }

    /** {@code error}: the job failed, was cancelled, or the stream ran out of time. */
    record Error(String type, OpenAiError.Body error) implements TranscriptEvent {
        Error(OpenAiError.Body error) {
            this("error", error);
        }
    }
}
