package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Issue 16's request surface end to end (embedded Kafka, PostgreSQL, S3; a fake upstream that records what it got):
 * {@code include[]=logprobs} and {@code chunking_strategy} are validated, kept on the job, sent upstream in the SDKs'
 * bracket encoding, and the upstream's logprobs come back in the json answer and in stream events.
 */
class RequestSurfaceFlowTest {

    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final String JOB_HEADER = "X-Transcription-Job-Id";
    private static final String LOGPROBS = """
            [{"token":"Hey","logprob":-1.04,"bytes":[72,101,121]},{"token":",","logprob":-0.1,"bytes":[44]},
             {"token":" see","logprob":0.0,"bytes":[32,115,101,101]},{"token":" you","logprob":-0.5,"bytes":[32,121,111,117]}]""";

    private final JsonMapper json = JsonMapper.builder().build();
    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        upstream = system.upstream();
        system.resetUpstream();
        client = new ApiClient(system.apiBaseUrl());
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"Hey, see you\",\"logprobs\":" + LOGPROBS + "}")));
    }

    @Test
    void logprobsAndAServerVadStrategyGoUpstreamAndTheLogprobsComeBack() {
        HttpResponse<String> response = client.transcribe(form("gpt-4o-transcribe")
                .field("include[]", "logprobs")
                .field("chunking_strategy[type]", "server_vad")
                .field("chunking_strategy[silence_duration_ms]", "500")
                .field("chunking_strategy[threshold]", "0.6"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json.readTree(response.body());
        assertThat(body.get("text").asString()).isEqualTo("Hey, see you");
        assertThat(body.get("logprobs")).isEqualTo(json.readTree(LOGPROBS));

        LoggedRequest call = onlyCall();
        assertThat(values(call, "include[]")).containsExactly("logprobs");
        assertThat(values(call, "response_format")).containsExactly("json");
        assertThat(values(call, "chunking_strategy[type]")).containsExactly("server_vad");
        assertThat(values(call, "chunking_strategy[silence_duration_ms]")).containsExactly("500");
        assertThat(values(call, "chunking_strategy[threshold]")).containsExactly("0.6");
        assertThat(values(call, "chunking_strategy[prefix_padding_ms]")).isEmpty();

        JobId jobId = JobId.parse(response.headers().firstValue(JOB_HEADER).orElseThrow());
        JobSpec spec = system.jobs().findById(jobId.value()).orElseThrow().spec();
        assertThat(spec.logprobs()).isTrue();
        assertThat(spec.chunkingStrategy()).isEqualTo(new ChunkingStrategy("server_vad", null, 500, 0.6));
    }

    @Test
    void aJsonObjectStringAndAutoAreTheSameStrategyAsTheSdksBrackets() {
        HttpResponse<String> object = client.transcribe(form("gpt-4o-mini-transcribe")
                .field("chunking_strategy", "{\"type\":\"server_vad\",\"prefix_padding_ms\":300,\"threshold\":0.5}"));
        assertThat(object.statusCode()).as(object.body()).isEqualTo(200);
        assertThat(object.body()).doesNotContain("logprobs"); // not asked for, though the upstream sent them
        LoggedRequest call = onlyCall();
        assertThat(values(call, "chunking_strategy[type]")).containsExactly("server_vad");
        assertThat(values(call, "chunking_strategy[prefix_padding_ms]")).containsExactly("300");
        assertThat(values(call, "chunking_strategy[threshold]")).containsExactly("0.5");
        assertThat(values(call, "include[]")).isEmpty();

        system.resetUpstream();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"fine\"}")));
        HttpResponse<String> auto = client.transcribe(form("whisper-1").field("chunking_strategy", "auto"));
        assertThat(auto.statusCode()).as(auto.body()).isEqualTo(200);
        assertThat(values(onlyCall(), "chunking_strategy")).containsExactly("auto");
    }

    @Test
    void aStreamCarriesEachDeltasLogprobsAndTheDoneEventAllOfThem() {
        HttpResponse<String> response = client.transcribe(
                form("gpt-4o-transcribe").field("include[]", "logprobs").field("stream", "true"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> events = Arrays.stream(response.body().split("\n"))
                .filter(line -> line.startsWith("data:"))
                .map(line -> json.readTree(line.substring("data:".length())))
                .toList();
        List<JsonNode> deltas = events.stream()
                .filter(e -> e.get("type").asString().equals("transcript.text.delta"))
                .toList();
        JsonNode done = events.getLast();
        assertThat(done.get("type").asString()).isEqualTo("transcript.text.done");
        assertThat(done.get("logprobs")).isEqualTo(json.readTree(LOGPROBS));
        StringBuilder text = new StringBuilder();
        List<JsonNode> tokens = new java.util.ArrayList<>();
        for (JsonNode delta : deltas) {
            text.append(delta.get("delta").asString());
            delta.get("logprobs").forEach(tokens::add);
        }
        assertThat(text.toString()).isEqualTo("Hey, see you");
        JsonNode streamed = json.valueToTree(tokens);
        assertThat(streamed).isEqualTo(json.readTree(LOGPROBS));
    }

    @Test
    void badValuesGetOpenAiShaped400s() {
        assertError(
                client.transcribe(form("whisper-1").field("include[]", "logprobs")),
                "unsupported_value",
                "include[]",
                "include[]=logprobs is not supported with model 'whisper-1'. Use 'gpt-4o-transcribe' or"
                        + " 'gpt-4o-mini-transcribe' instead.");
        assertError(
                client.transcribe(
                        form("gpt-4o-transcribe").field("include", "logprobs").field("response_format", "text")),
                "unsupported_value",
                "include[]",
                "include[]=logprobs is only supported with response_format 'json', not 'text'.");
        assertError(
                client.transcribe(form("gpt-4o-transcribe").field("include[]", "tokens")),
                "invalid_request_error",
                "include[]",
                "Invalid value for 'include[]': 'tokens'. Supported values are: 'logprobs'.");
        assertError(
                client.transcribe(form("gpt-4o-transcribe")
                        .field("chunking_strategy[type]", "server_vad")
                        .field("chunking_strategy[threshold]", "1.5")),
                "invalid_request_error",
                "chunking_strategy",
                "Invalid value for 'chunking_strategy.threshold': expected a number between 0 and 1, got '1.5'.");
        assertError(
                client.transcribe(form("gpt-4o-transcribe")
                        .field("chunking_strategy", "{\"type\":\"server_vad\"," + "\"min_silence\":3}")),
                "invalid_request_error",
                "chunking_strategy",
                "Invalid 'chunking_strategy': unknown parameter 'min_silence'. Allowed keys are 'type',"
                        + " 'prefix_padding_ms', 'silence_duration_ms' and 'threshold'.");
        assertError(
                client.transcribe(form("gpt-4o-transcribe").field("chunking_strategy", "semantic")),
                "invalid_request_error",
                "chunking_strategy",
                "Invalid value for 'chunking_strategy': expected 'auto' or a server_vad object, got 'semantic'.");
        assertError(
                client.transcribe(form("gpt-4o-transcribe")
                        .field("known_speaker_names[]", "agent")
                        .field("known_speaker_references[]", "data:audio/wav;base64,AAAA")),
                "unsupported_value",
                "known_speaker_names[]",
                "known_speaker_names[] and known_speaker_references[] are only supported for diarization models,"
                        + " not 'gpt-4o-transcribe'.");
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .isEmpty();
    }

    /**
     * Known speakers a caller gets wrong are a 400 and leave nothing in the store: a reference whose media type is not
     * a plain audio type (it was a 503, "store unavailable", with the request's audio left behind), and names the
     * gateway keeps for voices that match no known speaker.
     */
    @Test
    void badKnownSpeakersAreRefusedAndLeaveNothingBehind() {
        Set<String> before = Set.copyOf(system.objectStore().keys("jobs/"));
        String clip = Base64.getEncoder().encodeToString(TestAudio.toneWav(2.0));
        assertError(
                client.transcribe(diarizing()
                        .field("known_speaker_names[]", "agent")
                        .field("known_speaker_references[]", "data:audio/wav x;base64," + clip)),
                "invalid_request_error",
                "known_speaker_references[]",
                "Invalid 'known_speaker_references[0]': its media type 'audio/wav x' is not audio.");
        assertError(
                client.transcribe(diarizing()
                        .field("known_speaker_names[]", "A")
                        .field("known_speaker_references[]", "data:audio/wav;base64," + clip)),
                "invalid_request_error",
                "known_speaker_names[]",
                "Invalid 'known_speaker_names[0]': 'A' is reserved for voices that match no known speaker (single"
                        + " capital letters such as A and B, and speaker_ names); choose another name.");
        // good speakers, and a field of the async job's that is refused after them
        assertError(
                client.submitJob(
                        diarizing()
                                .field("response_format", "diarized_json")
                                .field("known_speaker_names[]", "agent")
                                .field("known_speaker_references[]", "data:audio/wav;base64," + clip)
                                .field("metadata[" + "k".repeat(65) + "]", "v"),
                        TestSystem.API_KEY,
                        null),
                "invalid_request_error",
                "metadata",
                "Invalid metadata: keys are 1 to 64 characters and values at most 512.");
        assertThat(system.objectStore().keys("jobs/"))
                .as("nothing new in the store")
                .isSubsetOf(before);
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .isEmpty();
    }

    private static Multipart diarizing() {
        return form("gpt-4o-transcribe-diarize").field("chunking_strategy", "auto");
    }

    private static Multipart form(String model) {
        return new Multipart()
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(1.0))
                .field("model", model);
    }

    private LoggedRequest onlyCall() {
        List<LoggedRequest> calls = upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH)));
        assertThat(calls).hasSize(1);
        return calls.getFirst();
    }

    private static List<String> values(LoggedRequest call, String name) {
        return call.getParts().stream()
                .filter(part -> name.equals(part.getName()))
                .map(part -> part.getBody().asString())
                .toList();
    }

    private void assertError(HttpResponse<String> response, String code, String param, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("message").asString()).isEqualTo(message);
        assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.get("code").asString()).isEqualTo(code);
        assertThat(error.get("param").asString()).isEqualTo(param);
    }
}
