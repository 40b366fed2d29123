package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code /admin/keys} on the shared embedded system: keys made, limited to models, changed and revoked live. */
class AdminKeysFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TestSystem system;
    private ApiClient client;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream().stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"ok\"}")));
        client = new ApiClient(system.apiBaseUrl());
    }

    @Test
    void aKeyLimitedToModelsGetsSeed000s403AndChangesTakeEffectWithinASecond() {
        HttpResponse<String> created =
                admin("POST", "/admin/keys", "{\"name\":\"podcasts\",\"allowed_models\":[\"whisper-1\"]}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode key = JSON.readTree(created.body());
        String secret = key.path("key").asString();
        assertThat(secret).startsWith("sk-");
        assertThat(key.path("allowed_models").get(0).asString()).isEqualTo("whisper-1");

        HttpResponse<String> refused = client.transcribe(form("gpt-4o-transcribe"), secret);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(refused.body()).path("error").toString())
                .isEqualTo("{\"message\":\"This API key does not have access to model 'gpt-4o-transcribe'\","
                        + "\"type\":\"invalid_request_error\",\"code\":\"model_not_allowed\",\"param\":null}");
        assertThat(client.transcribe(form("openai/whisper-1"), secret).statusCode())
                .isEqualTo(200);

        admin("PATCH", "/admin/keys/" + key.path("id").asString(), "{\"allowed_models\":[]}");
        await().atMost(Duration.ofSeconds(3))
                .until(() ->
                        client.transcribe(form("gpt-4o-transcribe"), secret).statusCode() == 200);

        HttpResponse<String> revoked =
                admin("DELETE", "/admin/keys/" + key.path("id").asString(), null);
        assertThat(JSON.readTree(revoked.body()).path("deleted").asBoolean()).isTrue();
        long revokedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(3))
                .until(() -> client.transcribe(form("whisper-1"), secret).statusCode() == 401);
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofMillis(1500));

        JsonNode listed = JSON.readTree(admin("GET", "/admin/keys", null).body());
        assertThat(listed.path("data").toString())
                .contains(key.path("id").asString())
                .doesNotContain(secret);
    }

    @Test
    void aFailedJobIsNotRetriedOnAModelItsKeyMayNoLongerUse() {
        upstreamAnswers(aResponse().withStatus(503).withBody("{\"error\":{\"message\":\"down\"}}"));
        JsonNode key = JSON.readTree(
                admin("POST", "/admin/keys", "{\"name\":\"narrowed later\"}").body());
        String secret = key.path("key").asString();
        HttpResponse<String> submitted = client.submitJob(form("gpt-4o-transcribe"), secret, null);
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String job = JSON.readTree(submitted.body()).path("id").asString();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> JSON.readTree(as(secret, "GET", "/v1/transcription_jobs/" + job)
                                .body())
                        .path("status")
                        .asString()
                        .equals("failed"));

        admin("PATCH", "/admin/keys/" + key.path("id").asString(), "{\"allowed_models\":[\"whisper-1\"]}");
        await().atMost(Duration.ofSeconds(3))
                .until(() ->
                        client.transcribe(form("gpt-4o-transcribe"), secret).statusCode() == 403);

        for (HttpResponse<String> retried : java.util.List.of(
                as(secret, "POST", "/v1/transcription_jobs/" + job + "/retry"),
                admin("POST", "/admin/jobs/" + job + "/retry", null))) {
            assertThat(retried.statusCode()).as(retried.body()).isEqualTo(403);
            assertThat(JSON.readTree(retried.body()).path("error").path("code").asString())
                    .isEqualTo("model_not_allowed");
        }
        assertThat(JSON.readTree(as(secret, "GET", "/v1/transcription_jobs/" + job)
                                .body())
                        .path("status")
                        .asString())
                .isEqualTo("failed");
    }

    @Test
    void aRevokedKeysWaitingWorkIsCancelledAndItsRunningJobFinishes() {
        upstreamAnswers(okJson("{\"text\":\"finished\"}").withFixedDelay(2000));
        JsonNode key = JSON.readTree(admin(
                        "POST",
                        "/admin/keys",
                        "{\"name\":\"stolen\",\"max_concurrent_jobs\":1,\"concurrent_jobs_mode\":\"queue\"}")
                .body());
        String secret = key.path("key").asString();
        String running = JSON.readTree(
                        client.submitJob(form("whisper-1"), secret, null).body())
                .path("id")
                .asString();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> status("/admin/jobs/" + running).equals("running"));
        String held = JSON.readTree(
                        client.submitJob(form("whisper-1"), secret, null).body())
                .path("id")
                .asString();
        String upload = client.upload(TestAudio.toneWav(0.5), secret);
        HttpResponse<String> batch = client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + secret)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"items\":[{\"upload_id\":\"" + upload + "\"}]}"))
                .build());
        assertThat(batch.statusCode()).as(batch.body()).isEqualTo(202);
        String batchId = JSON.readTree(batch.body()).path("id").asString();

        HttpResponse<String> revoked =
                admin("DELETE", "/admin/keys/" + key.path("id").asString(), null);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                java.util.List.of(status("/admin/jobs/" + held), status("/admin/batches/" + batchId)))
                        .as("what waited for the key's turn")
                        .containsOnly("cancelled"));
        await().atMost(Duration.ofSeconds(15))
                .until(() -> status("/admin/jobs/" + running).equals("succeeded"));
        assertThat(status("/admin/jobs/" + held)).as("never ran").isEqualTo("cancelled");
    }

    @Test
    void aRequestAuthenticatedJustBeforeItsKeyWasRevokedRecordsNothing() {
        JsonNode key = JSON.readTree(admin("POST", "/admin/keys", "{\"name\":\"revoked mid-request\"}")
                .body());
        String secret = key.path("key").asString();
        String upload = client.upload(TestAudio.toneWav(0.5), secret);
        assertThat(as(secret, "GET", "/v1/models").statusCode())
                .as("the api remembers the key for a second from here")
                .isEqualTo(200);

        java.util.Set<String> stored = java.util.Set.copyOf(system.objectStore().keys("jobs/"));

        admin("DELETE", "/admin/keys/" + key.path("id").asString(), null);
        HttpResponse<String> batch = client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + secret)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"items\":[{\"upload_id\":\"" + upload + "\"}]}"))
                .build());
        for (HttpResponse<String> late : java.util.List.of(
                client.submitJob(form("whisper-1"), secret, null),
                client.transcribe(form("whisper-1"), secret),
                batch)) {
            assertThat(late.statusCode()).as(late.body()).isEqualTo(401);
            assertThat(JSON.readTree(late.body()).path("error").path("code").asString())
                    .isEqualTo("invalid_api_key");
        }
        assertThat(JSON.readTree(admin(
                                        "GET",
                                        "/admin/jobs?key_id=" + key.path("id").asString(),
                                        null)
                                .body())
                        .path("data"))
                .as("no job of the revoked key")
                .isEmpty();
        assertThat(system.objectStore().keys("jobs/"))
                .as("nor the audio of the refused requests")
                .isSubsetOf(stored);
        assertThat(system.objectStore().keys(dev.transcriber.common.storage.ObjectKeys.claimedUploads(upload)))
                .as("nor the batch's copy of its upload")
                .isEmpty();
    }

    /** The fake upstream answers every call with {@code answer} from now on. */
    private void upstreamAnswers(com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder answer) {
        system.resetUpstream();
        system.upstream().stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(answer));
    }

    private String status(String adminPath) {
        return JSON.readTree(admin("GET", adminPath, null).body())
                .path("status")
                .asString();
    }

    @Test
    void dailyAudioAndConcurrentJobLimitsRefuseNewWork() {
        String daily = JSON.readTree(admin("POST", "/admin/keys", "{\"name\":\"daily\",\"audio_seconds_per_day\":1}")
                        .body())
                .path("key")
                .asString();
        assertThat(client.transcribe(form("whisper-1"), daily).statusCode()).isEqualTo(200); // 0.5 s
        assertThat(client.transcribe(form("whisper-1"), daily).statusCode()).isEqualTo(200); // 1.0 s
        HttpResponse<String> over = client.transcribe(form("whisper-1"), daily);
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(over.body()).path("error").path("message").asString())
                .startsWith("Rate limit exceeded. Usage resets at ");
        assertThat(JSON.readTree(over.body()).path("error").path("resets_at").asString())
                .endsWith("T00:00:00Z");

        upstreamAnswers(okJson("{\"text\":\"slow\"}").withFixedDelay(1500));
        String single = JSON.readTree(admin("POST", "/admin/keys", "{\"name\":\"single\",\"max_concurrent_jobs\":1}")
                        .body())
                .path("key")
                .asString();
        HttpResponse<String> first = client.submitJob(form("whisper-1"), single, null);
        HttpResponse<String> second = client.submitJob(form("whisper-1"), single, null);

        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(second.body()).path("error").path("code").asString())
                .isEqualTo("concurrent_jobs_exceeded");
        await().atMost(Duration.ofSeconds(15))
                .until(() -> client.submitJob(form("whisper-1"), single, null).statusCode() == 202);
    }

    @Test
    void aKeyWhoseCapQueuesHasEveryJobAcceptedAndRunsThemOneAtATime() {
        upstreamAnswers(okJson("{\"text\":\"in turn\"}").withFixedDelay(400));
        HttpResponse<String> created = admin(
                "POST",
                "/admin/keys",
                "{\"name\":\"queued\",\"max_concurrent_jobs\":1,\"concurrent_jobs_mode\":\"queue\"}");
        assertThat(JSON.readTree(created.body()).path("concurrent_jobs_mode").asString())
                .isEqualTo("queue");
        String queued = JSON.readTree(created.body()).path("key").asString();

        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> accepted = client.submitJob(form("whisper-1"), queued, null);
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            ids.add(JSON.readTree(accepted.body()).path("id").asString());
        }
        HttpResponse<String> held = client.transcribe(form("whisper-1"), queued); // a sync call waits its turn too
        assertThat(held.statusCode()).as(held.body()).isEqualTo(200);
        ids.add(held.headers().firstValue("X-Transcription-Job-Id").orElseThrow());

        java.util.List<JsonNode> jobs = new java.util.ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            jobs.clear();
            for (String id : ids) {
                JsonNode job = JSON.readTree(client.send(client.request("/v1/transcription_jobs/" + id)
                                .header("Authorization", "Bearer " + queued)
                                .GET()
                                .build())
                        .body());
                assertThat(job.path("status").asString()).isEqualTo("succeeded");
                jobs.add(job);
            }
        });
        jobs.sort(java.util.Comparator.comparing(j -> system.jobs()
                .findById(java.util.UUID.fromString(j.path("id").asString()))
                .orElseThrow()
                .startedAt()));
        for (int i = 1; i < jobs.size(); i++) {
            var previous = system.jobs()
                    .findById(
                            java.util.UUID.fromString(jobs.get(i - 1).path("id").asString()))
                    .orElseThrow();
            var next = system.jobs()
                    .findById(java.util.UUID.fromString(jobs.get(i).path("id").asString()))
                    .orElseThrow();
            assertThat(next.startedAt()).as("one job at a time").isAfterOrEqualTo(previous.finishedAt());
        }
    }

    @Test
    void aKeyWithoutALimitOfItsOwnCountsAgainstTheDefaultAndCarriesTheHeaders() {
        String plain = JSON.readTree(
                        admin("POST", "/admin/keys", "{\"name\":\"plain\"}").body())
                .path("key")
                .asString();

        HttpResponse<String> first = client.transcribe(form("whisper-1"), plain);
        HttpResponse<String> models = client.send(client.request("/v1/models")
                .header("Authorization", "Bearer " + plain)
                .GET()
                .build());

        assertThat(first.headers().firstValue("X-RateLimit-Limit-Requests")).hasValue("3000");
        assertThat(first.headers().firstValue("X-RateLimit-Remaining-Requests")).hasValue("2999");
        assertThat(first.headers().firstValue("X-RateLimit-Reset-Requests")).isPresent();
        assertThat(models.headers().firstValue("X-RateLimit-Remaining-Requests"))
                .hasValue("2998");
    }

    @Test
    void theAdminApiNeedsTheAdminToken() {
        HttpResponse<String> refused = client.send(client.request("/admin/keys")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .GET()
                .build());

        assertThat(refused.statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> as(String secret, String method, String path) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + secret)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build());
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return client.send(client.request(path)
                .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private static Multipart form(String model) {
        return new Multipart().field("model", model).file("file", "clip.wav", "audio/wav", TestAudio.toneWav(0.5));
    }
}
