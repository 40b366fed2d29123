package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TcpGate;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The api asks the object store nothing while it holds a row lock: a retry and an upload's claim keep their job's or
 * upload's row free while the store is slow (a second api reaches the store through a gate the test holds), and a
 * claim the store failed leaves the upload claimable with no copy behind.
 */
class ObjectStoreOutsideLocksFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";

    private static TestSystem system;
    private static TcpGate gate;
    private static ConfigurableApplicationContext gatedApi;
    private static ApiClient gated;
    private static ApiClient direct;

    @BeforeAll
    static void start() throws Exception {
        system = TestSystem.embedded();
        gate = TcpGate.to(system.objectStoreEndpoint());
        gatedApi = system.startAnotherApi(List.of("--transcriber.storage.endpoint=" + gate.endpoint()));
        gated = new ApiClient("http://127.0.0.1:" + gatedApi.getEnvironment().getRequiredProperty("local.server.port"));
        direct = new ApiClient(system.apiBaseUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        gate.close();
        gatedApi.close();
    }

    @BeforeEach
    void reset() {
        system.resetUpstream();
    }

    @AfterEach
    void openTheGate() {
        gate.mend();
        gate.open();
    }

    @Test
    void retryingAFailedJobLeavesItsRowUnlockedWhileTheStoreAnswers() throws Exception {
        system.upstream()
                .stubFor(post(urlEqualTo(UPSTREAM_PATH))
                        .willReturn(
                                aResponse().withStatus(404).withBody("{\"error\":{\"message\":\"no such model\"}}")));
        String id = JSON.readTree(
                        direct.submitJob(wav(), TestSystem.API_KEY, null).body())
                .path("id")
                .asString();
        awaitStatus(id, "failed");
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"again\"}")));

        gate.hold();
        CompletableFuture<HttpResponse<String>> retry =
                CompletableFuture.supplyAsync(() -> gated.post("/v1/transcription_jobs/" + id + "/retry"));
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.held() > 0 || retry.isDone());
        assertThat(retry).as("waits on the store").isNotDone();

        assertThat(lockNowait("select id from transcription_jobs where id = ?::uuid for update nowait", id))
                .as("the job's row is free while the retry waits on the store")
                .isNull();
        gate.open();

        HttpResponse<String> retried = retry.get(30, TimeUnit.SECONDS);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        assertThat(awaitStatus(id, "succeeded").path("result").path("text").asString())
                .isEqualTo("again");
    }

    @Test
    void claimingAnUploadLeavesItsRowUnlockedWhileTheStoreCopies() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"uploaded\"}")));
        String upload = uploaded();

        gate.hold();
        CompletableFuture<HttpResponse<String>> claim = CompletableFuture.supplyAsync(() -> submitUpload(upload));
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.held() > 0 || claim.isDone());
        assertThat(claim).as("waits on the store").isNotDone();

        assertThat(lockNowait("select id from transcription_uploads where id = ? for update nowait", upload))
                .as("the upload's row is free while the claim waits on the store")
                .isNull();
        gate.open();

        HttpResponse<String> accepted = claim.get(30, TimeUnit.SECONDS);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        assertThat(awaitStatus(id, "succeeded").path("result").path("text").asString())
                .isEqualTo("uploaded");
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(system.objectStore().size("uploads/" + upload))
                        .as("the caller's object goes once the claim is committed")
                        .isEmpty());
        assertThat(submitUpload(upload).statusCode())
                .as("an upload serves one job")
                .isEqualTo(400);
    }

    @Test
    void aClaimTheStoreFailedLeavesTheUploadClaimableAndNoCopy() throws Exception {
        system.upstream().stubFor(post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson("{\"text\":\"second go\"}")));
        String upload = uploaded();
        long jobs = system.jobs().count();

        gate.hold();
        CompletableFuture<HttpResponse<String>> claim = CompletableFuture.supplyAsync(() -> submitUpload(upload));
        await().atMost(Duration.ofSeconds(10)).until(() -> gate.held() > 0 || claim.isDone());
        assertThat(claim).as("waits on the store").isNotDone();
        gate.cut();

        HttpResponse<String> failed = claim.get(30, TimeUnit.SECONDS);
        assertThat(failed.statusCode()).as(failed.body()).isEqualTo(503);
        assertThat(failed.headers().firstValue("Retry-After")).isPresent();
        assertThat(failed.body()).contains("\"code\":\"storage_unavailable\"");
        assertThat(system.jobs().count()).isEqualTo(jobs);
        assertThat(system.objectStore().keys(ObjectKeys.claimedUploads(upload))).isEmpty();

        gate.mend();
        HttpResponse<String> accepted = submitUpload(upload);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        String id = JSON.readTree(accepted.body()).path("id").asString();
        assertThat(awaitStatus(id, "succeeded").path("result").path("text").asString())
                .isEqualTo("second go");
        assertThat(system.objectStore().keys(ObjectKeys.claimedUploads(upload))).hasSize(1);
    }

    /** Locks the row in a transaction of its own without waiting; the SQL state if it could not, else null. */
    private static String lockNowait(String sql, String id) throws SQLException {
        DataSource data = system.api().getBean(DataSource.class);
        try (Connection connection = data.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement lock = connection.prepareStatement(sql)) {
                lock.setString(1, id);
                lock.executeQuery().close();
                return null;
            } catch (SQLException e) {
                return e.getSQLState() + " " + e.getMessage();
            } finally {
                connection.rollback();
            }
        }
    }

    private static String uploaded() throws Exception {
        JsonNode upload = JSON.readTree(gated.post("/v1/transcription_uploads").body());
        HttpResponse<String> put = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(upload.path("upload_url").asString()))
                                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestAudio.toneWav(0.5)))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        return upload.path("id").asString();
    }

    private static HttpResponse<String> submitUpload(String upload) {
        return gated.send(gated.request("/v1/transcription_jobs")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"whisper-1\",\"upload_id\":\"" + upload + "\"}"))
                .build());
    }

    private static JsonNode awaitStatus(String id, String status) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> JSON.readTree(
                                direct.get("/v1/transcription_jobs/" + id).body())
                        .path("status")
                        .asString()
                        .equals(status));
        return JSON.readTree(direct.get("/v1/transcription_jobs/" + id).body());
    }

    private static Multipart wav() {
        return new Multipart()
                .field("model", "whisper-1")
                .file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
