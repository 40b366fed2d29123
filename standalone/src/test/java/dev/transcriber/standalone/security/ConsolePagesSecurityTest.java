package dev.transcriber.standalone.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestSystem;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console's pages, scripts and the chart library are open to anyone (the console signs in by itself, with a
 * bearer header), answered with a strict content security policy, {@code nosniff} and no referrer; and no spelling of
 * {@code /console} or {@code /webjars} opens any other route: sent byte for byte to the real api, each is either the
 * console itself or refused in the OpenAI shape.
 */
class ConsolePagesSecurityTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String POLICY = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:;"
            + " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
            + " form-action 'self'";

    /** Routes that take a credential; the console's spellings must not reach any of them without one. */
    private static final List<String> GUARDED = List.of(
            "/admin/keys",
            "/admin/usage",
            "/admin/overview",
            "/admin/jobs",
            "/actuator/env",
            "/actuator/metrics",
            "/v1/models",
            "/v1/transcription_jobs",
            "/v1/usage");

    private static TestSystem system;
    private static String index;

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
        RawHttp.Response page = get("/console/");
        assertThat(page.status()).as(page.body()).isEqualTo(200);
        index = page.body();
    }

    @Test
    void theConsoleItsScriptsAndTheChartLibraryAreServedWithoutACredentialUnderAStrictPolicy() {
        RawHttp.Response bare = get("/console");
        assertThat(bare.status()).isEqualTo(302);
        assertThat(bare.header("Location")).endsWith("/console/");
        assertConsoleHeaders(bare, "/console");

        assertThat(index).contains("<script type=\"module\" src=\"js/app.js\"></script>");
        assertThat(get("/console/").header("Content-Type")).startsWith("text/html");
        assertConsoleHeaders(get("/console/"), "/console/");

        for (String asset : assets()) {
            RawHttp.Response response = get(asset);
            assertThat(response.status()).as(asset).isEqualTo(200);
            assertConsoleHeaders(response, asset);
            String type = response.header("Content-Type");
            if (asset.endsWith(".js")) {
                assertThat(type).as(asset).startsWith("text/javascript");
            } else if (asset.endsWith(".css")) {
                assertThat(type).as(asset).startsWith("text/css");
            }
        }
        assertThat(RawHttp.send(system.apiBaseUrl(), "HEAD", "/console/console.css", null)
                        .status())
                .isEqualTo(200);
    }

    @Test
    void nothingOfTheConsoleIsInlineSoThePolicyNeedsNoExceptions() {
        assertThat(index).doesNotContainPattern("<script(?![^>]*\\ssrc=)[^>]*>");
        assertThat(index).doesNotContain("<style").doesNotContain(" style=").doesNotContainPattern("\\son[a-z]+=");
        for (String asset : assets()) {
            if (asset.startsWith("/console/js/")) {
                String script = get(asset).body();
                assertThat(script)
                        .as(asset + " builds elements, never HTML strings")
                        .doesNotContain("innerHTML")
                        .doesNotContain("insertAdjacentHTML")
                        .doesNotContain("eval(")
                        .doesNotContain("new Function");
            }
        }
    }

    @Test
    void theConsoleAnswersOnlyReadsWithoutACredential() {
        for (String method : List.of("POST", "PUT", "PATCH", "DELETE")) {
            for (String target :
                    List.of("/console", "/console/", "/console/index.html", "/webjars/uplot/dist/uPlot.min.css")) {
                RawHttp.Response response =
                        RawHttp.send(system.apiBaseUrl(), method, target, "", "Content-Type: application/json");
                assertRefused(response, method + " " + target);
            }
        }
    }

    @Test
    void noSpellingOfTheConsoleOrWebjarsOpensAGuardedRoute() {
        int keys = keyCount();
        for (String route : GUARDED) {
            for (String target : throughTheConsole(route)) {
                for (String method : List.of("GET", "HEAD", "POST")) {
                    RawHttp.Response response = RawHttp.send(
                            system.apiBaseUrl(),
                            method,
                            target,
                            method.equals("POST") ? "{\"name\":\"x\"}" : null,
                            "Content-Type: application/json");
                    if (method.equals("HEAD")) {
                        assertThat(response.status()).as("HEAD " + target).isIn(400, 401, 403, 404, 405);
                    } else {
                        assertRefused(response, method + " " + target);
                    }
                }
            }
        }
        assertThat(keyCount()).as("keys after the attempts").isEqualTo(keys);
    }

    @Test
    void oddSpellingsOfTheConsoleAreTheConsoleOrRefused() {
        for (String target : List.of(
                "/Console/",
                "/CONSOLE/",
                "/%63onsole/",
                "/%43onsole/",
                "/console%2F",
                "/console%2f",
                "/console;x/",
                "/console/;x",
                "/console/index.html;x",
                "/console/%2e/",
                "/console/./",
                "//console/",
                "/console//",
                "/console/index.html/..",
                "/console/js/../index.html",
                "/console/%2e%2e/console/",
                "/console\\",
                "/console%5C",
                "/console%00",
                "/console/index.html%00",
                "/console/index.html%20",
                "/console/%252e%252e/",
                "/webjars/../console/",
                "/webjars/uplot/../../console/",
                "http://127.0.0.1/console/")) {
            RawHttp.Response response = get(target);
            if (response.successful()) {
                assertThat(response.status()).as(target).isIn(200, 302);
                if (response.status() == 200) {
                    assertThat(response.body()).as(target).isEqualTo(index);
                } else {
                    assertThat(response.header("Location")).as(target).endsWith("/console/");
                }
                assertConsoleHeaders(response, target);
            } else {
                assertRefused(response, "GET " + target);
            }
        }
    }

    /** The console's own files, as index.html names them, and the modules app.js imports. */
    private static Set<String> assets() {
        Set<String> found = new LinkedHashSet<>();
        Matcher refs = Pattern.compile("(?:href|src)=\"([^\"]+)\"").matcher(index);
        while (refs.find()) {
            String ref = refs.group(1);
            if (ref.startsWith("data:") || ref.startsWith("#")) {
                continue;
            }
            found.add(ref.startsWith("/") ? ref : "/console/" + ref);
        }
        assertThat(found).contains("/console/js/app.js", "/console/console.css", "/webjars/uplot/dist/uPlot.min.css");
        Matcher imports = Pattern.compile("from '([^']+)'")
                .matcher(get("/console/js/app.js").body());
        while (imports.find()) {
            found.add("/console/js/" + imports.group(1).replace("./", ""));
        }
        found.add("/webjars/uplot/dist/uPlot.esm.js");
        found.add("/webjars/uplot/1.6.30/dist/uPlot.esm.js");
        return found;
    }

    /** The route named through the console's and the webjars' public prefixes, every way a path can be spelled. */
    private static Set<String> throughTheConsole(String route) {
        String rest = route.substring(1);
        Set<String> all = new LinkedHashSet<>();
        for (String prefix : List.of("/console", "/webjars", "/webjars/uplot")) {
            all.add(prefix + "/.." + route);
            all.add(prefix + "/../.." + route);
            all.add(prefix + "/%2e%2e" + route);
            all.add(prefix + "/%2E%2E" + route);
            all.add(prefix + "/.%2e" + route);
            all.add(prefix + "/..;" + route);
            all.add(prefix + "/..;x" + route);
            all.add(prefix + ";x/.." + route);
            all.add(prefix + "/..%2F" + rest);
            all.add(prefix + "/..%2f" + rest);
            all.add(prefix + "%2F..%2F" + rest);
            all.add(prefix + "/..%5C" + rest);
            all.add(prefix + "/..\\" + rest);
            all.add(prefix + "\\..\\" + rest);
            all.add(prefix + "//.." + route);
            all.add(prefix + "/%252e%252e" + route);
            all.add(prefix + "/%c0%ae%c0%ae" + route);
            all.add(prefix + "/." + route);
            all.add(prefix + route);
            all.add(prefix + "/" + route);
            all.add(prefix + "/index.html/.." + route);
        }
        all.add("/console" + route.replace("/", "%2F"));
        all.add(route + "/../console/");
        all.add(route + ";/console/");
        all.add(route + "?/console/");
        all.add(route + "#/console/");
        all.add(route + "%23/console/");
        all.add(route + "%3F/console/");
        all.add(route + "/console/");
        all.add(route + "/webjars/uplot/dist/uPlot.min.css");
        all.add(route + "%00/console/");
        return all;
    }

    private static void assertConsoleHeaders(RawHttp.Response response, String what) {
        assertThat(response.header("Content-Security-Policy")).as(what).isEqualTo(POLICY);
        assertThat(response.header("X-Content-Type-Options")).as(what).isEqualTo("nosniff");
        assertThat(response.header("Referrer-Policy")).as(what).isEqualTo("no-referrer");
    }

    private static void assertRefused(RawHttp.Response response, String what) {
        assertThat(response.successful())
                .as(what + " answered " + response.status() + ": " + response.body())
                .isFalse();
        assertThat(response.status()).as(what).isIn(400, 401, 403, 404, 405);
        RouteSpellingsSecurityTest.assertOpenAiError(response, what);
    }

    private static RawHttp.Response get(String target) {
        return RawHttp.send(system.apiBaseUrl(), "GET", target, null);
    }

    private static int keyCount() {
        RawHttp.Response keys = RawHttp.send(
                system.apiBaseUrl(), "GET", "/admin/keys", null, "Authorization: Bearer " + TestSystem.ADMIN_TOKEN);
        assertThat(keys.status()).isEqualTo(200);
        return JSON.readTree(keys.body()).path("data").size();
    }
}
