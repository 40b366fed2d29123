package dev.transcriber.standalone.security;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The console's routes against the real server: every new {@code /admin} route refuses a request without a credential
 * and one with an API key (401, as {@code /admin/keys} does), in the OpenAI error shape, however the path is spelled
 * ({@link RouteSpellingsSecurityTest#spellings}); the routes name a real job and batch of a key, which stay untouched.
 * The new {@code /v1} routes need an API key, and show another key's job as not found.
 */
class ConsoleRoutesSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestSystem system;
    private static String job;
    private static String batch;

    /** A route: method and path. */
    private record Route(String method, String path) {}

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"guarded\"}")));
        ApiClient client = new ApiClient(system.apiBaseUrl());
        job = JSON.readTree(client.submitJob(
                                new Multipart()
                                        .field("model", "whisper-1")
                                        .file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)),
                                TestSystem.API_KEY,
                                null)
                        .body())
                .path("id")
                .asString();
        HttpResponse<String> submitted = client.send(client.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"whisper-1\",\"items\":[{\"upload_id\":\""
                        + client.upload(TestAudio.toneWav(0.5), TestSystem.API_KEY) + "\"}]}"))
                .build());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        batch = JSON.readTree(submitted.body()).path("id").asString();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> status("/v1/transcription_jobs/" + job), "succeeded"::equals);
    }

    private static List<Route> adminRoutes() {
        String j = "/admin/jobs/" + job;
        String b = "/admin/batches/" + batch;
        return List.of(
                new Route("GET", "/admin/overview"),
                new Route("GET", "/admin/upstream_accounts"),
                new Route("GET", "/admin/jobs"),
                new Route("GET", j),
                new Route("GET", j + "/timeline"),
                new Route("GET", j + "/transcript"),
                new Route("GET", j + "/audio"),
                new Route("POST", j + "/cancel"),
                new Route("POST", j + "/retry"),
                new Route("DELETE", j),
                new Route("GET", j + "/webhook_deliveries"),
                new Route("POST", j + "/webhook_deliveries/redeliver"),
                new Route("GET", "/admin/webhook_deliveries"),
                new Route("GET", "/admin/batches"),
                new Route("GET", b),
                new Route("GET", b + "/results"),
                new Route("POST", b + "/cancel"));
    }

    @Test
    void everyConsoleAdminRouteRefusesNoTokenAndAnApiKeyIn401sOfTheOpenAiShape() {
        for (Route route : adminRoutes()) {
            for (String credential : new String[] {null, TestSystem.API_KEY}) {
                RawHttp.Response refused = send(route, route.path(), credential);
                String what = route + (credential == null ? " without a credential" : " with an API key");
                assertThat(refused.status()).as(what + ": " + refused.body()).isEqualTo(401);
                RouteSpellingsSecurityTest.assertOpenAiError(refused, what);
            }
        }
        assertUntouched();
    }

    @Test
    void noSpellingOfAConsoleAdminRouteIsServedWithoutTheAdminToken() {
        for (Route route : adminRoutes()) {
            for (String target : RouteSpellingsSecurityTest.spellings(route.path())) {
                for (String credential : new String[] {null, TestSystem.API_KEY}) {
                    RawHttp.Response refused = send(route, target, credential);
                    String what = route.method() + " " + target + " (" + credential + ")";
                    assertThat(refused.successful())
                            .as(what + " answered " + refused.status() + ": " + refused.body())
                            .isFalse();
                    assertThat(refused.status()).as(what).isIn(400, 401, 403, 404, 405);
                    RouteSpellingsSecurityTest.assertOpenAiError(refused, what);
                }
            }
        }
        assertUntouched();
    }

    @Test
    void theNewV1RoutesNeedAnApiKeyAndHideOtherKeysJobs() {
        for (String path :
                List.of("/v1/transcription_jobs/" + job + "/timeline", "/v1/transcription_jobs/" + job + "/audio")) {
            Route route = new Route("GET", path);
            for (String credential : new String[] {null, "sk-not-a-key"}) {
                RawHttp.Response refused = send(route, path, credential);
                assertThat(refused.status()).as(path + " " + credential).isEqualTo(401);
                RouteSpellingsSecurityTest.assertOpenAiError(refused, path);
            }
            RawHttp.Response other = send(route, path, TestSystem.OTHER_API_KEY);
            assertThat(other.status()).as(path + " as another key").isEqualTo(404);
            RouteSpellingsSecurityTest.assertOpenAiError(other, path);
            assertThat(send(route, path, TestSystem.API_KEY).status())
                    .as(path + " as its owner")
                    .isEqualTo(200);
        }
    }

    @Test
    void theAdminTokenReachesTheConsoleRoutes() {
        for (String path : List.of(
                "/admin/overview",
                "/admin/upstream_accounts",
                "/admin/jobs",
                "/admin/jobs/" + job,
                "/admin/batches/" + batch)) {
            assertThat(send(new Route("GET", path), path, TestSystem.ADMIN_TOKEN)
                            .status())
                    .as(path)
                    .isEqualTo(200);
        }
    }

    /** The refused commands changed nothing: the job is neither cancelled, retried nor deleted. */
    private static void assertUntouched() {
        JsonNode seen = JSON.readTree(RawHttp.send(
                        system.apiBaseUrl(),
                        "GET",
                        "/v1/transcription_jobs/" + job,
                        null,
                        "Authorization: Bearer " + TestSystem.API_KEY)
                .body());
        assertThat(seen.path("status").asString()).isEqualTo("succeeded");
        assertThat(seen.has("deleted")).isFalse();
    }

    private static String status(String path) {
        return JSON.readTree(RawHttp.send(
                                system.apiBaseUrl(), "GET", path, null, "Authorization: Bearer " + TestSystem.API_KEY)
                        .body())
                .path("status")
                .asString();
    }

    private static RawHttp.Response send(Route route, String target, String credential) {
        List<String> headers = new ArrayList<>();
        if (credential != null) {
            headers.add("Authorization: Bearer " + credential);
        }
        return RawHttp.send(
                system.apiBaseUrl(),
                route.method(),
                target,
                route.method().equals("GET") ? null : "",
                headers.toArray(String[]::new));
    }
}
