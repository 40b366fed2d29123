package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/audio/translations} and jobs with {@code task: translate} end to end, on real Kafka, PostgreSQL and
 * S3 and a fake upstream that is a real HTTP server: the worker calls the upstream's {@code /audio/translations} with a
 * translation's fields, and the caller gets each format as OpenAI shapes a translation (text formats as text).
 */
class TranslationsFlowTest {

    private static final String TRANSLATIONS = "/v1/audio/translations";
    private static final String TRANSCRIPTIONS = "/v1/audio/transcriptions";
    private static final String VERBOSE_ANSWER = """
            {"task":"translate","language":"english","duration":2.5,"text":"Hello, world.",
             "segments":[{"id":0,"seek":0,"start":0.0,"end":2.5,"text":" Hello, world.","tokens":[50364,2425],
              "temperature":0.0,"avg_logprob":-0.2,"compression_ratio":0.9,"no_speech_prob":0.01}]}""";

    private final JsonMapper json = JsonMapper.builder().build();
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        upstream = system.upstream();
        system.resetUpstream();
        upstream.stubFor(post(urlEqualTo(TRANSLATIONS)).willReturn(okJson(VERBOSE_ANSWER)));
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void aSyncTranslationCallsTheUpstreamsTranslationsAndAnswersEveryFormat() {
        byte[] audio = TestAudio.toneWav(2.5);

        HttpResponse<String> json = translate(audio, "json");
        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        assertThat(json.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(this.json.readTree(json.body()).properties())
                .as("text alone, as OpenAI's translation")
                .extracting(java.util.Map.Entry::getKey)
                .containsExactly("text");
        assertThat(this.json.readTree(json.body()).path("text").asString()).isEqualTo("Hello, world.");

        HttpResponse<String> text = translate(audio, "text");
        assertThat(text.statusCode()).as(text.body()).isEqualTo(200);
        assertThat(text.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(text.body()).isEqualTo("Hello, world.\n");

        HttpResponse<String> srt = translate(audio, "srt");
        assertThat(srt.statusCode()).as(srt.body()).isEqualTo(200);
        assertThat(srt.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(srt.body()).isEqualTo("1\n00:00:00,000 --> 00:00:02,500\nHello, world.\n\n");

        HttpResponse<String> vtt = translate(audio, "vtt");
        assertThat(vtt.statusCode()).as(vtt.body()).isEqualTo(200);
        assertThat(vtt.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/vtt");
        assertThat(vtt.body()).isEqualTo("WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello, world.\n\n");

        HttpResponse<String> verbose = translate(audio, "verbose_json");
        assertThat(verbose.statusCode()).as(verbose.body()).isEqualTo(200);
        assertThat(verbose.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode body = this.json.readTree(verbose.body());
        assertThat(body.path("task").asString()).isEqualTo("translate");
        assertThat(body.path("language").asString()).isEqualTo("english");
        assertThat(body.path("duration").asDouble()).isEqualTo(2.5);
        assertThat(body.path("text").asString()).isEqualTo("Hello, world.");
        assertThat(body.path("segments").get(0).path("text").asString()).isEqualTo(" Hello, world.");
        assertThat(body.has("words") || body.has("usage")).isFalse();

        List<LoggedRequest> calls = upstream.findAll(postRequestedFor(urlEqualTo(TRANSLATIONS)));
        assertThat(calls).hasSize(5);
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(TRANSCRIPTIONS))))
                .isEmpty();
        for (LoggedRequest call : calls) {
            assertThat(part(call, "model")).isEqualTo("whisper-1");
            assertThat(part(call, "prompt")).isEqualTo("A talk about trains.");
            assertThat(part(call, "temperature")).isEqualTo("0.3");
            assertThat(part(call, "response_format")).isIn("json", "verbose_json");
            assertThat(call.getPart("file").getBody().asBytes()).isEqualTo(audio);
            assertThat(call.getParts())
                    .as("a translation takes no language and no timestamp granularities")
                    .noneMatch(
                            p -> p.getName().equals("language") || p.getName().startsWith("timestamp_granularities"));
        }
        // the timestamped formats asked the upstream for segments, the others for json
        assertThat(calls.stream().map(c -> part(c, "response_format")).toList())
                .containsExactlyInAnyOrder("json", "json", "verbose_json", "verbose_json", "verbose_json");

        JsonNode job = this.json.readTree(
                client.get("/v1/transcription_jobs/" + jobId(verbose)).body());
        assertThat(job.path("task").asString()).isEqualTo("translate");
        assertThat(job.path("usage").path("type").asString()).isEqualTo("duration");
        assertThat(job.path("usage").path("seconds").asDouble())
                .as("2.5 s billed as whisper-1 bills")
                .isEqualTo(3.0);
    }

    @Test
    void fieldsTranslationsDoNotTakeAreIgnoredAsOpenAiIgnoresThem() {
        HttpResponse<String> response = client.translate(new Multipart()
                .field("model", "openai/whisper-1")
                .field("language", "not-a-language")
                .field("timestamp_granularities[]", "word")
                .field("stream", "true")
                .file("file", "speech.wav", "audio/wav", TestAudio.toneWav(1.1)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        LoggedRequest call =
                upstream.findAll(postRequestedFor(urlEqualTo(TRANSLATIONS))).getFirst();
        assertThat(part(call, "model")).isEqualTo("whisper-1");
        assertThat(call.getParts())
                .noneMatch(p -> p.getName().equals("language") || p.getName().equals("stream"));
    }

    @Test
    void badValuesAreRefusedInOpenAisShapeBeforeAnyUpstreamCall() {
        byte[] audio = TestAudio.toneWav(0.7);
        assertError(
                client.translate(new Multipart().file("file", "a.wav", "audio/wav", audio)),
                "invalid_request_error",
                "model",
                "Missing required parameter: model");
        assertError(
                client.translate(new Multipart().field("model", "whisper-1")),
                "invalid_request_error",
                "file",
                "Missing required parameter: file");
        assertError(
                client.translate(new Multipart().field("model", "whisper-9").file("file", "a.wav", "audio/wav", audio)),
                "invalid_request_error",
                "model",
                "Unsupported translation model 'whisper-9'. Only 'whisper-1' supports translations.");
        assertError(
                client.translate(
                        new Multipart().field("model", "gpt-4o-transcribe").file("file", "a.wav", "audio/wav", audio)),
                "unsupported_value",
                "model",
                "Model 'gpt-4o-transcribe' does not support translations. Only 'whisper-1' supports translations.");
        assertError(
                client.translate(new Multipart()
                        .field("model", "whisper-1")
                        .field("response_format", "diarized_json")
                        .file("file", "a.wav", "audio/wav", audio)),
                "invalid_request_error",
                "response_format",
                null);
        assertError(
                client.translate(new Multipart()
                        .field("model", "whisper-1")
                        .field("temperature", "1.5")
                        .file("file", "a.wav", "audio/wav", audio)),
                "invalid_request_error",
                "temperature",
                "Invalid value for 'temperature': expected a number between 0 and 1, got '1.5'.");
        assertError(
                client.translate(new Multipart()
                        .field("model", "whisper-1")
                        .field("prompt", "x".repeat(2001))
                        .file("file", "a.wav", "audio/wav", audio)),
                "invalid_request_error",
                "prompt",
                null);
        assertError(
                client.translate(
                        new Multipart().field("model", "whisper-1").file("file", "a.wav", "audio/wav", new byte[0])),
                "invalid_request_error",
                "file",
                "The audio file is empty.");
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(TRANSLATIONS)))).isEmpty();
    }

    @Test
    void anAsyncJobTranslatesWithTaskTranslateAsJsonAndAsMultipart() {
        String upload = client.upload(TestAudio.toneWav(1.3), TestSystem.API_KEY);
        HttpResponse<String> accepted = postJson(
                "/v1/transcription_jobs",
                "{\"model\":\"whisper-1\",\"task\":\"translate\",\"response_format\":\"verbose_json\",\"upload_id\":\""
                        + upload + "\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(json.readTree(accepted.body()).path("task").asString()).isEqualTo("translate");
        String id = json.readTree(accepted.body()).path("id").asString();
        JsonNode done = awaitSucceeded(id);
        assertThat(done.path("task").asString()).isEqualTo("translate");
        assertThat(done.path("usage").path("seconds").asDouble()).isEqualTo(3.0);
        HttpResponse<String> verbose = client.get("/v1/transcription_jobs/" + id + "/transcript");
        assertThat(json.readTree(verbose.body()).path("task").asString()).isEqualTo("translate");
        assertThat(json.readTree(verbose.body()).path("language").asString()).isEqualTo("english");
        HttpResponse<String> text = client.get("/v1/transcription_jobs/" + id + "/transcript?response_format=text");
        assertThat(text.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(text.body()).isEqualTo("Hello, world.\n");

        HttpResponse<String> multipart = client.submitJob(
                new Multipart()
                        .field("model", "whisper-1")
                        .field("task", "translate")
                        .field("response_format", "text")
                        .file("file", "b.wav", "audio/wav", TestAudio.toneWav(1.4)),
                TestSystem.API_KEY,
                null);
        assertThat(multipart.statusCode()).as(multipart.body()).isEqualTo(202);
        awaitSucceeded(json.readTree(multipart.body()).path("id").asString());
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(TRANSLATIONS)))).hasSize(2);
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(TRANSCRIPTIONS))))
                .isEmpty();
    }

    @Test
    void aJobsTaskIsValidatedAndATranslationRefusesWhatItCannotHonour() {
        String upload = client.upload(TestAudio.toneWav(0.9), TestSystem.API_KEY);
        assertError(
                postJson(
                        "/v1/transcription_jobs",
                        "{\"model\":\"whisper-1\",\"task\":\"summarise\",\"upload_id\":\"" + upload + "\"}"),
                "invalid_request_error",
                "task",
                "Invalid value for 'task': 'summarise'. Supported values are: 'transcribe' and 'translate'.");
        assertError(
                postJson(
                        "/v1/transcription_jobs",
                        "{\"model\":\"whisper-1\",\"task\":\"translate\",\"language\":\"fr\",\"upload_id\":\"" + upload
                                + "\"}"),
                "invalid_request_error",
                "language",
                "'language' is not supported with task 'translate'. Translations always produce English text.");
        assertError(
                postJson(
                        "/v1/transcription_jobs",
                        "{\"model\":\"gpt-4o-mini-transcribe\",\"task\":\"translate\",\"upload_id\":\"" + upload
                                + "\"}"),
                "unsupported_value",
                "model",
                "Model 'gpt-4o-mini-transcribe' does not support translations. Only 'whisper-1' supports"
                        + " translations.");
        assertError(
                client.submitJob(
                        new Multipart()
                                .field("model", "whisper-1")
                                .field("task", "translate")
                                .field("timestamp_granularities[]", "word")
                                .file("file", "c.wav", "audio/wav", TestAudio.toneWav(0.9)),
                        TestSystem.API_KEY,
                        null),
                "invalid_request_error",
                "timestamp_granularities[]",
                null);
        assertError(
                postJson(
                        "/v1/transcription_batches",
                        "{\"model\":\"whisper-1\",\"task\":\"translate\",\"language\":\"de\",\"items\":[{\"upload_id\":\""
                                + upload + "\"}]}"),
                "invalid_request_error",
                "language",
                null);
    }

    @Test
    void aBatchTranslatesEveryItem() {
        String first = client.upload(TestAudio.toneWav(1.7), TestSystem.API_KEY);
        String second = client.upload(TestAudio.toneWav(1.8), TestSystem.API_KEY);
        HttpResponse<String> accepted = postJson(
                "/v1/transcription_batches",
                "{\"model\":\"whisper-1\",\"task\":\"translate\",\"response_format\":\"srt\",\"items\":[{\"upload_id\":\""
                        + first + "\"},{\"upload_id\":\"" + second + "\"}]}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode batch = json.readTree(accepted.body());
        assertThat(batch.path("task").asString()).isEqualTo("translate");
        String id = batch.path("id").asString();

        await().atMost(Duration.ofSeconds(90))
                .untilAsserted(() -> assertThat(json.readTree(client.get("/v1/transcription_batches/" + id)
                                        .body())
                                .path("status")
                                .asString())
                        .isEqualTo("completed"));

        List<JsonNode> lines = client.get("/v1/transcription_batches/" + id + "/results")
                .body()
                .lines()
                .map(json::readTree)
                .toList();
        assertThat(lines).hasSize(2);
        assertThat(lines)
                .allSatisfy(line -> assertThat(line.path("transcript").asString())
                        .isEqualTo("1\n00:00:00,000 --> 00:00:02,500\nHello, world.\n\n"));
        List<LoggedRequest> calls = upstream.findAll(postRequestedFor(urlEqualTo(TRANSLATIONS)));
        assertThat(calls).hasSize(2);
        assertThat(calls)
                .allSatisfy(call -> assertThat(part(call, "response_format")).isEqualTo("verbose_json"));
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(TRANSCRIPTIONS))))
                .isEmpty();
    }

    private HttpResponse<String> translate(byte[] audio, String format) {
        return client.translate(new Multipart()
                .field("model", "whisper-1")
                .field("prompt", "A talk about trains.")
                .field("temperature", "0.3")
                .field("response_format", format)
                .file("file", "talk.wav", "audio/wav", audio));
    }

    private HttpResponse<String> postJson(String path, String body) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private JsonNode awaitSucceeded(String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            last[0] = json.readTree(client.get("/v1/transcription_jobs/" + id).body());
            assertThat(last[0].path("status").asString()).as(last[0].toString()).isEqualTo("succeeded");
        });
        return last[0];
    }

    private static String jobId(HttpResponse<String> response) {
        return response.headers().firstValue("X-Transcription-Job-Id").orElseThrow();
    }

    private static String part(LoggedRequest request, String name) {
        return request.getPart(name).getBody().asString();
    }

    /** A 400 in OpenAI's shape, with {@code code} and {@code param}, and {@code message} when given. */
    private void assertError(HttpResponse<String> response, String code, String param, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode error = json.readTree(response.body()).path("error");
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asString()).isEqualTo(code);
        assertThat(error.path("param").asString()).isEqualTo(param);
        if (message != null) {
            assertThat(error.path("message").asString()).isEqualTo(message);
        }
    }
}
