package dev.transcriber.api.transcription;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.common.transcript.Logprob;
import dev.transcriber.common.transcript.Usage;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The stream's events as OpenAI writes them: logprobs only when asked, usage only when known. */
class TranscriptEventTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aDeltaCarriesLogprobsOnlyWhenTheJobAskedEvenWhenThereAreNoneNew() {
        assertThat(JSON.writeValueAsString(new TranscriptEvent.Delta("Hi", null)))
                .isEqualTo("{\"type\":\"transcript.text.delta\",\"delta\":\"Hi\"}");
        assertThat(JSON.writeValueAsString(new TranscriptEvent.Delta(" there", List.of())))
                .isEqualTo("{\"type\":\"transcript.text.delta\",\"delta\":\" there\",\"logprobs\":[]}");
    }

    @Test
    void theDoneEventHasTheWholeTextThenTheTokensAndTheUsage() {
        assertThat(JSON.writeValueAsString(new TranscriptEvent.Done("Hi there", null, null)))
                .isEqualTo("{\"type\":\"transcript.text.done\",\"text\":\"Hi there\"}");
        assertThat(JSON.writeValueAsString(
                        new TranscriptEvent.Done("Hi", List.of(new Logprob("Hi", -0.1, null)), Usage.duration(2))))
                .isEqualTo("{\"type\":\"transcript.text.done\",\"text\":\"Hi\",\"logprobs\":[{\"token\":\"Hi\","
                        + "\"logprob\":-0.1}],\"usage\":{\"type\":\"duration\",\"seconds\":2.0}}");
    }

    @Test
    void anErrorEventIsTheErrorBody() {
        OpenAiError.Body error = OpenAiError.of(ApiException.invalidRequest("The job was cancelled.", null))
                .error();

        assertThat(JSON.writeValueAsString(new TranscriptEvent.Error(error)))
                .isEqualTo("{\"type\":\"error\",\"error\":{\"message\":\"The job was cancelled.\","
                        + "\"type\":\"invalid_request_error\",\"code\":\"invalid_request_error\",\"param\":null}}");
    }
}
