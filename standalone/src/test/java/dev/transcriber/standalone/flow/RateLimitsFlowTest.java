package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.TestSystem;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Limits shared by two api instances on the same PostgreSQL: N requests a minute means N across both. */
class RateLimitsFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TestSystem system;
    private ConfigurableApplicationContext second;
    private ApiClient first;
    private ApiClient other;

    @BeforeEach
    void setUp() {
        system = TestSystem.embedded();
        second = system.startAnotherApi();
        first = new ApiClient(system.apiBaseUrl());
        other = new ApiClient("http://127.0.0.1:" + second.getEnvironment().getRequiredProperty("local.server.port"));
    }

    @AfterEach
    void tearDown() {
        second.close();
    }

    @Test
    void aLimitOfFivePerMinuteLetsExactlyFiveThroughAcrossBothInstancesAndRevocationReachesBoth() {
        JsonNode key = JSON.readTree(admin("POST", "/admin/keys", "{\"name\":\"limited\",\"requests_per_minute\":5}")
                .body());
        String secret = key.path("key").asString();
        // all eight requests in one minute window: from second 45 that is a wait of up to 15 s, so more is allowed
        await().atMost(Duration.ofSeconds(20))
                .until(() -> LocalTime.now(ZoneOffset.UTC).getSecond() < 45);

        List<HttpResponse<String>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ApiClient instance = i % 2 == 0 ? first : other;
            answers.add(instance.send(instance.request("/v1/models")
                    .header("Authorization", "Bearer " + secret)
                    .GET()
                    .build()));
        }

        assertThat(answers.stream().map(HttpResponse::statusCode).toList())
                .containsExactly(200, 200, 200, 200, 200, 429, 429, 429);
        assertThat(answers.stream()
                        .map(a -> a.headers()
                                .firstValue("X-RateLimit-Remaining-Requests")
                                .orElseThrow())
                        .toList())
                .containsExactly("4", "3", "2", "1", "0", "0", "0", "0");
        assertThat(answers.getFirst().headers().firstValue("X-RateLimit-Limit-Requests"))
                .contains("5");
        assertThat(answers.getFirst().headers().firstValue("X-RateLimit-Reset-Requests"))
                .hasValueSatisfying(reset -> assertThat(reset).matches("\\d+s"));
        JsonNode error = JSON.readTree(answers.get(5).body()).path("error");
        assertThat(error.path("message").asString()).matches("Rate limit exceeded\\. Usage resets at \\S+Z\\.");
        assertThat(error.path("type").asString()).isEqualTo("rate_limit_error");
        assertThat(error.path("code").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(error.path("resets_at").asString()).isNotEmpty();

        admin("DELETE", "/admin/keys/" + key.path("id").asString(), null);
        long revoked = System.nanoTime();
        for (ApiClient instance : List.of(first, other)) {
            await().atMost(Duration.ofSeconds(3))
                    .until(() -> instance.send(instance.request("/v1/models")
                                            .header("Authorization", "Bearer " + secret)
                                            .GET()
                                            .build())
                                    .statusCode()
                            == 401);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - revoked)).isLessThan(Duration.ofMillis(1500));
    }

    private HttpResponse<String> admin(String method, String path, String body) {
        return first.send(first.request(path)
                .header("Authorization", "Bearer " + TestSystem.ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build());
    }
}
