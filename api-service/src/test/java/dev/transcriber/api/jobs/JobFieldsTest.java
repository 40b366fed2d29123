package dev.transcriber.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.JobSpec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A JSON submission's options, validated as the sync endpoint's form fields are: every one of them read. */
class JobFieldsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void aDiarizationModelsChunkingStrategyIsReadAsAWordOrAnObject() {
        JobSpec auto = spec("{\"model\":\"gpt-4o-transcribe-diarize\",\"audio_url\":\"https://example.com/a.mp3\","
                + "\"response_format\":\"diarized_json\",\"chunking_strategy\":\"auto\"}");
        JobSpec vad = spec("{\"model\":\"gpt-4o-transcribe-diarize\",\"audio_url\":\"https://example.com/a.mp3\","
                + "\"chunking_strategy\":{\"type\":\"server_vad\",\"silence_duration_ms\":300}}");

        assertThat(auto.chunkingStrategy()).isNotNull();
        assertThat(vad.chunkingStrategy()).isNotNull();
        assertThat(vad.chunkingStrategy()).isNotEqualTo(auto.chunkingStrategy());
    }

    @Test
    void logprobsAreAskedForOrRefusedAsInAForm() {
        assertThat(spec("{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"https://example.com/a.mp3\","
                                + "\"include\":[\"logprobs\"]}")
                        .logprobs())
                .isTrue();
        assertThatThrownBy(() -> spec("{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\","
                        + "\"include\":[\"logprobs\"]}"))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.param()).isEqualTo("include[]"));
        assertThat(spec("{\"model\":\"gpt-4o-transcribe\",\"audio_url\":\"https://example.com/a.mp3\","
                                + "\"include\":[null]}")
                        .logprobs())
                .as("an empty value asks for nothing, as an empty form field does")
                .isFalse();
    }

    @Test
    void aRequestWithoutTheNewerFieldsIsWrittenAsBeforeThemForItsIdempotencyDigest() {
        // the digest of a JSON job's request is taken over the request as written: an Idempotency-Key sent again
        // across an upgrade (or to an older instance) must find the same digest
        String written = JSON.writeValueAsString(JSON.readValue(
                "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\"}", JobRequest.class));

        assertThat(written).doesNotContain("chunking_strategy", "include");
    }

    private static JobSpec spec(String body) {
        return JobFields.spec(JSON.readValue(body, JobRequest.class), ModelCatalog.standard(), 2000);
    }
}
