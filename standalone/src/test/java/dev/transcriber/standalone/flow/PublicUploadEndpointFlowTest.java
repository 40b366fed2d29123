package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Presigned upload URLs name the object store where callers reach it ({@code S3_PUBLIC_ENDPOINT}), not the address
 * the services use inside (compose's {@code http://minio:9000}), and are signed for that host.
 */
class PublicUploadEndpointFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static TestSystem system;

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
    }

    @Test
    void withoutAPublicEndpointTheUrlNamesTheServicesEndpointAsInLocalMode() {
        JsonNode upload = upload(system.apiBaseUrl());
        assertThat(upload.path("upload_url").asString()).startsWith(system.objectStoreEndpoint() + "/");
    }

    @Test
    void theUrlNamesThePublicEndpointAndAnUploadThroughItBecomesAJob() throws Exception {
        URI internal = URI.create(system.objectStoreEndpoint());
        // The same store under another name, as a caller outside would reach MinIO's published port.
        String publicEndpoint = "http://localhost:" + internal.getPort();
        try (ConfigurableApplicationContext api =
                system.startAnotherApi(List.of("--transcriber.storage.public-endpoint=" + publicEndpoint))) {
            String base = "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.server.port");
            system.resetUpstream();
            system.upstream()
                    .stubFor(post(urlEqualTo("/v1/audio/transcriptions"))
                            .willReturn(okJson("{\"text\":\"through the public endpoint\"}")));

            JsonNode upload = upload(base);
            URI url = URI.create(upload.path("upload_url").asString());
            assertThat(url.getScheme() + "://" + url.getAuthority()).isEqualTo(publicEndpoint);

            HttpResponse<String> put = HTTP.send(
                    HttpRequest.newBuilder(url)
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(TestAudio.toneWav(0.5)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

            ApiClient client = new ApiClient(base);
            HttpResponse<String> accepted = client.send(client.request("/v1/transcription_jobs")
                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o-transcribe\",\"upload_id\":\""
                            + upload.path("id").asString() + "\"}"))
                    .build());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            String id = JSON.readTree(accepted.body()).path("id").asString();
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(JSON.readTree(client.get("/v1/transcription_jobs/" + id)
                                            .body())
                                    .path("result")
                                    .path("text")
                                    .asString())
                            .isEqualTo("through the public endpoint"));
        }
    }

    @Test
    void theUrlIsSignedForThePublicHostOnly() throws Exception {
        URI internal = URI.create(system.objectStoreEndpoint());
        try (ConfigurableApplicationContext api = system.startAnotherApi(
                List.of("--transcriber.storage.public-endpoint=https://uploads.transcriber.example.com"))) {
            String base = "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.server.port");

            URI url = URI.create(upload(base).path("upload_url").asString());
            assertThat(url.getScheme()).isEqualTo("https");
            assertThat(url.getHost()).isEqualTo("uploads.transcriber.example.com");
            assertThat(url.getRawQuery()).contains("X-Amz-Signature=");

            // The same path and signature sent to the store under the services' name: the host is signed, so no.
            URI elsewhere = URI.create(internal + url.getRawPath() + "?" + url.getRawQuery());
            HttpResponse<String> put = HTTP.send(
                    HttpRequest.newBuilder(elsewhere)
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(TestAudio.toneWav(0.5)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(403);
        }
    }

    private static JsonNode upload(String base) {
        HttpResponse<String> created = new ApiClient(base).post("/v1/transcription_uploads");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        return JSON.readTree(created.body());
    }
}
