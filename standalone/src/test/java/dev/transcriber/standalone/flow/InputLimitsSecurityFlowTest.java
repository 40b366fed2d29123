package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.storage.StorageProperties;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hostile and malformed input on the real system (embedded Kafka, PostgreSQL, S3): each refusal is a 4xx in OpenAI's
 * error shape, and leaves no job row and no object behind.
 */
class InputLimitsSecurityFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final String SUPPORTED =
            "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav',"
                    + " 'webm']";

    private TestSystem system;
    private WireMockServer upstream;
    private ApiClient client;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        upstream = system.upstream();
        upstream.resetAll();
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"fine\"}")));
        client = new ApiClient(system.apiBaseUrl());
    }

    // --- item 9: bad input gets OpenAI's shape and a 4xx -------------------------------------------------------

    @Test
    void aLanguageThatIsNotIso6391IsRefusedOnBothEndpoints() {
        HttpResponse<String> sync =
                refused(() -> client.transcribe(wav("clip.wav").field("language", "english")));
        assertError(
                sync,
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'english'. Language parameter must be specified in ISO-639-1 format.");
        assertError(
                refused(() -> client.transcribe(wav("clip.wav").field("language", "xx"))),
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'xx'. Language parameter must be specified in ISO-639-1 format.");

        HttpResponse<String> job = refused(() -> submitJson(
                "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\",\"language\":\"en-US\"}"));
        assertError(
                job,
                400,
                "invalid_language_format",
                "language",
                "Invalid language 'en-US'. Language parameter must be specified in ISO-639-1 format.");
    }

    @Test
    void timestampGranularitiesNeedVerboseJson() {
        HttpResponse<String> response = refused(() -> client.transcribe(
                wav("clip.wav").field("response_format", "json").field("timestamp_granularities[]", "word")));

        assertError(
                response,
                400,
                "invalid_request_error",
                "timestamp_granularities[]",
                "`response_format` must be `verbose_json` if `timestamp_granularities[]` is provided");
        assertError(
                refused(() -> client.transcribe(new Multipart()
                        .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5))
                        .field("model", "whisper-1")
                        .field("timestamp_granularities[]", "segment"))),
                400,
                "invalid_request_error",
                "timestamp_granularities[]",
                "`response_format` must be `verbose_json` if `timestamp_granularities[]` is provided");
    }

    @Test
    void twoFilePartsAreRefused() {
        Multipart form = new Multipart()
                .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5))
                .file("file", "b.wav", "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1");

        assertError(
                refused(() -> client.transcribe(form)),
                400,
                "invalid_request_error",
                "file",
                "Expected one 'file' part, got more than one.");
        assertError(
                refused(() -> client.submitJob(form, TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "file",
                "Expected one 'file' part, got more than one.");
    }

    @Test
    void aJobWithBothAFileAndAnAudioUrlIsRefused() {
        assertError(
                refused(() -> client.submitJob(
                        wav("clip.wav").field("audio_url", "https://example.com/other.mp3"), TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "audio_url",
                "Give the audio as exactly one of 'file', 'audio_url' or 'upload_id'.");
        assertError(
                refused(() ->
                        client.submitJob(wav("clip.wav").field("upload_id", "upload_123"), TestSystem.API_KEY, null)),
                400,
                "invalid_request_error",
                "upload_id",
                "Give the audio as exactly one of 'file', 'audio_url' or 'upload_id'.");
    }

    @Test
    void aContentEncodingTheServerDoesNotDecodeIsRefused() {
        Multipart form = wav("clip.wav");
        HttpResponse<String> sync = refused(() -> client.send(client.request("/v1/audio/transcriptions")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", form.contentType())
                .header("Content-Encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.build()))
                .build()));
        assertError(
                sync,
                415,
                "unsupported_content_encoding",
                null,
                "Unsupported Content-Encoding 'gzip': send the request body uncompressed.");

        HttpResponse<String> job = refused(() -> client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "br")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"audio_url\":\"https://example.com/a.mp3\"}"))
                .build()));
        assertError(
                job,
                415,
                "unsupported_content_encoding",
                null,
                "Unsupported Content-Encoding 'br': send the request body uncompressed.");
    }

    @Test
    void aFileNamedWithANonAudioExtensionIsRefusedEvenIfItsContentDecodes() {
        for (String name : new String[] {"report.docx", "notes.txt", "clip.wav.exe", "C:\\Users\\me\\a.pdf"}) {
            assertError(refused(() -> client.transcribe(wav(name))), 400, "invalid_request_error", "file", SUPPORTED);
            assertError(
                    refused(() -> client.submitJob(wav(name), TestSystem.API_KEY, null)),
                    400,
                    "invalid_request_error",
                    "file",
                    SUPPORTED);
        }
        assertThat(upstream.findAll(postRequestedFor(urlEqualTo(UPSTREAM_PATH))))
                .isEmpty();
    }

    @Test
    void aFileNamedWithoutAnExtensionOrInUpperCaseIsJudgedByItsContent() {
        HttpResponse<String> bare = client.transcribe(wav("recording"));
        HttpResponse<String> upper = client.transcribe(wav("CLIP.WAV"));

        assertThat(bare.statusCode()).as(bare.body()).isEqualTo(200);
        assertThat(upper.statusCode()).as(upper.body()).isEqualTo(200);
        assertThat(JSON.readTree(bare.body()).path("text").asString()).isEqualTo("fine");
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    private static Multipart wav(String filename) {
        return new Multipart()
                .file("file", filename, "audio/wav", TestAudio.toneWav(0.5))
                .field("model", "whisper-1");
    }

    private HttpResponse<String> submitJson(String body) {
        return client.send(client.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    /** Sends the request and checks that it left no job row and no object in the store. */
    private HttpResponse<String> refused(Supplier<HttpResponse<String>> call) {
        long jobs = system.jobs().count();
        Set<String> objects = objectKeys();
        HttpResponse<String> response = call.get();
        assertThat(system.jobs().count())
                .as("job rows after " + response.body())
                .isEqualTo(jobs);
        assertThat(objectKeys()).as("objects after " + response.body()).isEqualTo(objects);
        return response;
    }

    private Set<String> objectKeys() {
        StorageProperties storage = system.api().getBean(StorageProperties.class);
        MinioClient minio = MinioClient.builder()
                .endpoint(storage.endpoint())
                .credentials(storage.accessKey(), storage.secretKey())
                .region(storage.region())
                .build();
        Set<String> keys = new TreeSet<>();
        try {
            for (var item : minio.listObjects(ListObjectsArgs.builder()
                    .bucket(storage.bucket())
                    .recursive(true)
                    .build())) {
                keys.add(item.get().objectName());
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return keys;
    }

    private static void assertError(
            HttpResponse<String> response, int status, String code, String param, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("message").asString()).isEqualTo(message);
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asString()).isEqualTo(code);
        assertThat(error.has("param")).isTrue();
        if (param == null) {
            assertThat(error.get("param").isNull()).as(response.body()).isTrue();
        } else {
            assertThat(error.path("param").asString()).isEqualTo(param);
        }
    }
}
