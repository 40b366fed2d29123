package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.standalone.support.TestSystem;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The rendered API reference: {@code GET /docs/api} answers Swagger UI's page to anyone, with no inline script and a
 * policy that allows scripts from the api alone; every script and stylesheet the page names loads, and so does the
 * document it shows.
 */
class ApiReferencePageFlowTest {

    private static final Pattern SCRIPT = Pattern.compile("<script\\b([^>]*)>(.*?)</script>", Pattern.DOTALL);
    private static final Pattern ASSET = Pattern.compile("\\b(?:src|href)=\"([^\"]+)\"");

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base = TestSystem.embedded().apiBaseUrl();

    @Test
    void thePageAndEverythingItLoadsAnswerWithoutCredentials() throws Exception {
        HttpResponse<String> page = get("/docs/api");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(page.body()).contains("<div id=\"swagger-ui\"></div>");
        String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(policy)
                .contains("script-src 'self';")
                .doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval");

        Matcher scripts = SCRIPT.matcher(page.body());
        int count = 0;
        while (scripts.find()) {
            count++;
            assertThat(scripts.group(1)).as("every script is a file").contains("src=");
            assertThat(scripts.group(2)).as("no inline script").isBlank();
        }
        assertThat(count).isEqualTo(2);
        assertThat(page.body()).doesNotContainPattern("\\son[a-z]+=").doesNotContain("style=");

        List<String> assets = new ArrayList<>();
        Matcher named = ASSET.matcher(page.body());
        while (named.find()) {
            assets.add(named.group(1));
        }
        assertThat(assets).contains("/docs/api/swagger-ui/swagger-ui-bundle.js", "/docs/api/swagger-ui/swagger-ui.css");
        for (String asset : assets) {
            HttpResponse<String> loaded = get(asset);
            assertThat(loaded.statusCode()).as(asset).isEqualTo(200);
            assertThat(loaded.body()).as(asset).isNotEmpty();
        }
        assertThat(get("/docs/api/reference.js").body()).contains("url: '/openapi.yaml'");

        HttpResponse<String> document = get("/openapi.yaml");
        assertThat(document.statusCode()).isEqualTo(200);
        assertThat(document.body()).startsWith("openapi: 3.1.0");
    }

    @Test
    void thePageIsReadOnlyAndAssetsOutsideItNeedACredential() throws Exception {
        assertThat(send("POST", "/docs/api").statusCode()).isEqualTo(401);
        assertThat(get("/docs/api/swagger-ui/nothing-here.js").statusCode()).isEqualTo(404);
        assertThat(get("/webjars/swagger-ui/swagger-ui.css").statusCode()).isEqualTo(401);
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send("GET", path);
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(Duration.ofSeconds(30))
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
