package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fleet served only by the offline engine (no upstream account): what Vosk cannot give is refused when the request
 * comes, in OpenAI's error shape: the diarizing model (no speaker model is available as a package; /v1/models leaves
 * it out), token logprobs and translations.
 */
class OfflineEngineRefusalsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestSystem.Isolated isolated;
    private static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(
                List.of("--transcriber.openai.api-key=", "--transcriber.local-engine.when-no-accounts=true"),
                List.of());
        api = new ApiClient(isolated.system().apiBaseUrl());
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void theDiarizingModelIsRefusedAtOnceAndNotListed() {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(models()).contains("gpt-4o-transcribe", "whisper-1"));
        assertThat(models()).doesNotContain("gpt-4o-transcribe-diarize", "openai/gpt-4o-transcribe-diarize");

        HttpResponse<String> sync = api.transcribe(new Multipart()
                .field("model", "gpt-4o-transcribe-diarize")
                .field("chunking_strategy", "auto")
                .field("response_format", "diarized_json")
                .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)));
        HttpResponse<String> async = api.submitJob(
                new Multipart()
                        .field("model", "gpt-4o-transcribe-diarize")
                        .field("chunking_strategy", "auto")
                        .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)),
                TestSystem.API_KEY,
                null);

        for (HttpResponse<String> response : List.of(sync, async)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            JsonNode error = JSON.readTree(response.body()).path("error");
            assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
            assertThat(error.path("code").asString()).isEqualTo("unsupported_value");
            assertThat(error.path("param").asString()).isEqualTo("model");
            assertThat(error.path("message").asString())
                    .isEqualTo("The model 'gpt-4o-transcribe-diarize' labels speakers, which the offline engine serving"
                            + " it here cannot do: no speaker model is available to it as a package. Configure an"
                            + " OpenAI-compatible upstream account for this model.");
        }
        assertThat(isolated.system().jobs().count()).as("no job made").isZero();
    }

    /**
     * What the offline engine cannot give is refused when the request comes, not by a job failing later: token
     * logprobs (Vosk's word confidences are not token logprobs) and translations (it transcribes English only).
     */
    @Test
    void logprobsAndTranslationsAreRefusedAtOnce() {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(models()).contains("gpt-4o-transcribe", "whisper-1"));
        long jobsBefore = isolated.system().jobs().count();

        HttpResponse<String> logprobs = api.transcribe(new Multipart()
                .field("model", "gpt-4o-transcribe")
                .field("include[]", "logprobs")
                .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)));
        HttpResponse<String> translation = api.translate(
                new Multipart().field("model", "whisper-1").file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)));

        assertThat(logprobs.statusCode()).as(logprobs.body()).isEqualTo(400);
        JsonNode logprobsError = JSON.readTree(logprobs.body()).path("error");
        assertThat(logprobsError.path("code").asString()).isEqualTo("unsupported_value");
        assertThat(logprobsError.path("param").asString()).isEqualTo("include[]");
        assertThat(logprobsError.path("message").asString()).contains("offline engine");
        assertThat(translation.statusCode()).as(translation.body()).isEqualTo(400);
        JsonNode translationError = JSON.readTree(translation.body()).path("error");
        assertThat(translationError.path("param").asString()).isEqualTo("model");
        assertThat(translationError.path("message").asString()).contains("cannot translate");
        assertThat(isolated.system().jobs().count()).as("no job made").isEqualTo(jobsBefore);
    }

    private static List<String> models() {
        HttpResponse<String> response = api.get("/v1/models");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        JSON.readTree(response.body())
                .path("data")
                .forEach(m -> ids.add(m.path("id").asString()));
        return ids;
    }
}
