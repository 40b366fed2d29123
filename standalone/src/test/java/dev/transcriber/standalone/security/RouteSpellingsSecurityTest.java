package dev.transcriber.standalone.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestSystem;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every admin and {@code /v1} route family, and the worker's admin and metrics routes, spelled every way a path can
 * be spelled (encoded letters, dots and slashes, matrix parameters, doubled and trailing slashes, other cases,
 * {@code ..}, backslashes, double encoding, absolute-form targets), sent byte for byte to the real servers: without
 * the credential the route takes, none is ever served, and every refusal is an OpenAI error body.
 */
class RouteSpellingsSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TestSystem system;

    /** A route: method, path, body (JSON) or null. */
    private record Route(String method, String path, String body) {}

    private static final List<Route> ADMIN_ROUTES = List.of(
            new Route("POST", "/admin/keys", "{\"name\":\"x\"}"),
            new Route("GET", "/admin/keys", null),
            new Route("PATCH", "/admin/keys/00000000-0000-0000-0000-000000000000", "{\"name\":\"y\"}"),
            new Route("DELETE", "/admin/keys/00000000-0000-0000-0000-000000000000", null),
            new Route("GET", "/admin/usage", null),
            new Route("GET", "/actuator/metrics", null),
            new Route("GET", "/actuator/prometheus", null),
            new Route("GET", "/actuator/info", null),
            new Route("GET", "/actuator/env", null));

    private static final Route SCRAPE = new Route("GET", "/actuator/prometheus", null);

    private static final List<Route> CALLER_ROUTES = List.of(
            new Route("GET", "/v1/models", null),
            new Route("GET", "/v1/transcription_jobs", null),
            new Route("GET", "/v1/transcription_jobs/job_x", null),
            new Route("POST", "/v1/transcription_jobs", "{\"audio_url\":\"https://example.com/a.mp3\"}"),
            new Route("GET", "/v1/transcription_batches", null),
            new Route("POST", "/v1/transcription_uploads", "{\"filename\":\"a.mp3\",\"bytes\":10}"),
            new Route("GET", "/v1/usage", null),
            new Route("POST", "/v1/webhook_secret/rotate", null),
            new Route("POST", "/v1/audio/transcriptions", null),
            new Route("POST", "/v1/audio/translations", null));

    private static final List<Route> WORKER_ROUTES = List.of(
            new Route("GET", "/admin/accounts", null),
            new Route("POST", "/admin/accounts/a/enable", null),
            new Route("GET", "/actuator/metrics", null),
            new Route("GET", "/actuator/prometheus", null),
            new Route("GET", "/actuator/env", null));

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
    }

    @Test
    void theAdminApiIsNeverServedWithoutTheAdminToken() {
        int keysBefore = keyCount();
        for (Route route : ADMIN_ROUTES) {
            for (String target : spellings(route.path())) {
                assertRefused(system.apiBaseUrl(), route, target, null);
                assertRefused(system.apiBaseUrl(), route, target, TestSystem.API_KEY);
                if (!route.path().equals(SCRAPE.path())) {
                    assertRefused(system.apiBaseUrl(), route, target, TestSystem.METRICS_TOKEN);
                }
            }
        }
        assertThat(keyCount()).as("keys after the attempts").isEqualTo(keysBefore);
    }

    @Test
    void theMetricsTokenOpensTheScrapeAndNoOtherRouteOfEitherService() {
        for (String base : List.of(system.apiBaseUrl(), system.workerBaseUrl())) {
            RawHttp.Response scrape = send(base, SCRAPE, SCRAPE.path(), TestSystem.METRICS_TOKEN);
            assertThat(scrape.status()).as(base + " " + scrape.body()).isEqualTo(200);
            assertThat(scrape.body()).contains("application=");
        }
        for (Route route : WORKER_ROUTES) {
            if (route.path().equals(SCRAPE.path())) {
                continue;
            }
            for (String target : spellings(route.path())) {
                assertRefused(system.workerBaseUrl(), route, target, TestSystem.METRICS_TOKEN);
            }
        }
        for (Route route : CALLER_ROUTES) {
            for (String target : spellings(route.path())) {
                assertRefused(system.apiBaseUrl(), route, target, TestSystem.METRICS_TOKEN);
            }
        }
    }

    @Test
    void theV1RoutesAreNeverServedWithoutAnApiKey() {
        for (Route route : CALLER_ROUTES) {
            for (String target : spellings(route.path())) {
                assertRefused(system.apiBaseUrl(), route, target, null);
                assertRefused(system.apiBaseUrl(), route, target, "sk-not-a-key");
            }
        }
    }

    @Test
    void theWorkersAdminAndMetricsRoutesAreNeverServedWithoutTheirToken() {
        for (Route route : WORKER_ROUTES) {
            for (String target : spellings(route.path())) {
                assertRefused(system.workerBaseUrl(), route, target, null);
                assertRefused(system.workerBaseUrl(), route, target, TestSystem.API_KEY);
            }
        }
    }

    @Test
    void theRightCredentialStillReachesEachRoute() {
        assertThat(send(system.apiBaseUrl(), new Route("GET", "/admin/keys", null), "/admin/keys", admin())
                        .status())
                .isEqualTo(200);
        assertThat(send(system.apiBaseUrl(), new Route("GET", "/actuator/metrics", null), "/actuator/metrics", admin())
                        .status())
                .isEqualTo(200);
        assertThat(send(system.apiBaseUrl(), new Route("GET", "/v1/models", null), "/v1/models", TestSystem.API_KEY)
                        .status())
                .isEqualTo(200);
        assertThat(send(system.workerBaseUrl(), new Route("GET", "/admin/accounts", null), "/admin/accounts", admin())
                        .status())
                .isEqualTo(200);
        assertThat(send(
                                system.workerBaseUrl(),
                                new Route("GET", "/actuator/metrics", null),
                                "/actuator/metrics",
                                admin())
                        .status())
                .isEqualTo(200);
    }

    @Test
    void onlyHealthAndTheApiDocumentArePublic() {
        for (String base : List.of(system.apiBaseUrl(), system.workerBaseUrl())) {
            for (String path : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
                assertThat(RawHttp.send(base, "GET", path, null).status())
                        .as(base + path)
                        .isEqualTo(200);
            }
        }
        assertThat(RawHttp.send(system.apiBaseUrl(), "GET", "/openapi.yaml", null)
                        .status())
                .isEqualTo(200);
    }

    @Test
    void unknownPathsAndMethodsAnswerInTheOpenAiShape() {
        RawHttp.Response unknown = RawHttp.send(
                system.apiBaseUrl(), "GET", "/v1/nothing-here", null, "Authorization: Bearer " + TestSystem.API_KEY);
        assertThat(unknown.status()).isEqualTo(404);
        assertOpenAiError(unknown, "GET /v1/nothing-here");
        RawHttp.Response wrongMethod = RawHttp.send(
                system.apiBaseUrl(), "PUT", "/v1/models", "", "Authorization: Bearer " + TestSystem.API_KEY);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertOpenAiError(wrongMethod, "PUT /v1/models");
    }

    @Test
    void whatTomcatRefusesOnItsOwnAnswersInTheOpenAiShape() {
        RawHttp.Response headers =
                RawHttp.send(system.apiBaseUrl(), "GET", "/v1/models", null, "X-Padding: " + "p".repeat(64 * 1024));
        assertThat(headers.status()).isBetween(400, 431);
        assertOpenAiError(headers, "64 KB of headers");
        RawHttp.Response slash = RawHttp.send(system.workerBaseUrl(), "GET", "/admin%2Faccounts", null);
        assertThat(slash.status()).isEqualTo(400);
        assertOpenAiError(slash, "an encoded slash on the worker");
    }

    /** The path spelled every way that could name the same route to one layer and another to the next. */
    static Set<String> spellings(String path) {
        Set<String> all = new LinkedHashSet<>();
        String first = path.substring(1, path.indexOf('/', 1) < 0 ? path.length() : path.indexOf('/', 1));
        String rest = path.substring(1 + first.length());
        String encodedLetter = "%" + Integer.toHexString(first.charAt(0)) + first.substring(1);
        all.add(path);
        all.add(path + "/");
        all.add(path + "?x=1");
        all.add("/" + encodedLetter + rest);
        all.add("/"
                + encodedLetter
                        .toUpperCase(Locale.ROOT)
                        .replace(first.substring(1).toUpperCase(Locale.ROOT), first.substring(1))
                + rest);
        all.add("/%25" + Integer.toHexString(first.charAt(0)) + first.substring(1) + rest);
        all.add(encodeAll(path));
        all.add("/" + first + ";x" + rest);
        all.add(path + ";x");
        all.add("/" + first + ";" + rest);
        all.add("/" + first + "%3Bx" + rest);
        all.add("/" + first + "%2F" + rest.substring(1));
        all.add("/" + first + "%2f" + rest.substring(1));
        all.add("/" + first + "%5C" + rest.substring(1));
        all.add("/" + first + "\\" + rest.substring(1));
        all.add("//" + first + rest);
        all.add("/" + first + "/" + rest);
        all.add(path.toUpperCase(Locale.ROOT));
        all.add("/" + Character.toUpperCase(first.charAt(0)) + first.substring(1) + rest);
        all.add("/x/.." + path);
        all.add("/" + first + "/." + rest);
        all.add("/%2e%2e" + path);
        all.add("/x/%2e%2e" + path);
        all.add("/x/%2E%2E" + path);
        all.add("/" + first + "/%2e" + rest);
        all.add("/v1/.." + path);
        all.add("/actuator/health/../.." + path);
        all.add("/actuator/health/..;" + path);
        all.add("/actuator/health/%2e%2e" + path);
        all.add("/openapi.yaml/.." + path);
        all.add(path + "%00");
        all.add(path + "%20");
        all.add("http://127.0.0.1" + path);
        return all;
    }

    private static String encodeAll(String path) {
        StringBuilder out = new StringBuilder();
        for (char c : path.toCharArray()) {
            out.append(c == '/' ? "/" : "%" + Integer.toHexString(c).toUpperCase(Locale.ROOT));
        }
        return out.toString();
    }

    private static void assertRefused(String base, Route route, String target, String credential) {
        RawHttp.Response response = send(base, route, target, credential);
        String what =
                route.method() + " " + target + (credential == null ? " (no credential)" : " (" + credential + ")");
        assertThat(response.successful())
                .as(what + " answered " + response.status() + ": " + response.body())
                .isFalse();
        assertThat(response.status()).as(what).isIn(400, 401, 403, 404, 405);
        assertOpenAiError(response, what);
    }

    /** The refusal is an OpenAI error body: {@code {"error":{"message","type","code","param"}}} as JSON. */
    static void assertOpenAiError(RawHttp.Response response, String what) {
        assertThat(response.header("Content-Type")).as(what + " content type").startsWith("application/json");
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.isObject()).as(what + " body: " + response.body()).isTrue();
        assertThat(error.path("message").asString()).as(what).isNotBlank();
        assertThat(error.has("type") && error.has("code") && error.has("param"))
                .as(what + " body: " + response.body())
                .isTrue();
    }

    private static RawHttp.Response send(String base, Route route, String target, String credential) {
        List<String> headers = new ArrayList<>();
        if (credential != null) {
            headers.add("Authorization: Bearer " + credential);
        }
        if (route.body() != null) {
            headers.add("Content-Type: application/json");
        }
        return RawHttp.send(
                base,
                route.method(),
                target,
                route.body() != null ? route.body() : (route.method().equals("GET") ? null : ""),
                headers.toArray(String[]::new));
    }

    private static String admin() {
        return TestSystem.ADMIN_TOKEN;
    }

    private static int keyCount() {
        RawHttp.Response keys =
                RawHttp.send(system.apiBaseUrl(), "GET", "/admin/keys", null, "Authorization: Bearer " + admin());
        assertThat(keys.status()).isEqualTo(200);
        return JSON.readTree(keys.body()).path("data").size();
    }
}
