package dev.transcriber.api.keys;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.head;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.common.store.ApiKey;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RestController;

/**
 * The api's route table ({@link ApiSecurity}) as a filter-chain slice: one probe endpoint per route family, and the
 * credentials each family takes, refused in the OpenAI shape. The real routes, spelled every odd way against the
 * real server, are in the standalone module's {@code RouteSpellingsSecurityTest}.
 */
@WebMvcTest(ApiSecurityTest.Probes.class)
@Import({ApiSecurity.class, ErrorResponses.class, ApiSecurityTest.Probes.class})
@EnableConfigurationProperties(ApiProperties.class)
@TestPropertySource(
        properties = {
            "transcriber.admin.token=" + ApiSecurityTest.ADMIN,
            "transcriber.metrics.token=" + ApiSecurityTest.METRICS
        })
class ApiSecurityTest {

    static final String ADMIN = "admin-slice-8c1f0e5a93d27b64ae0d1c58f2b7390e6d4a15c9";
    static final String METRICS = "metrics-slice-2d7b9e1c4a0f53e8b6c2a9d1f7e4b0c3a5d8e6f1";
    private static final String KEY = "sk-slice-key";

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private ApiKeys keys;

    @MockitoBean
    private RateLimits rateLimits;

    @MockitoBean
    private Clock clock;

    /** Endpoints standing for each route family. */
    @RestController
    static class Probes {
        @GetMapping("/v1/probe")
        String caller(@RequestAttribute(Caller.ATTRIBUTE) Caller caller) {
            return caller.keyName();
        }

        @PostMapping("/admin/probe")
        String admin() {
            return "admin";
        }

        @GetMapping("/actuator/health/readiness")
        String health() {
            return "up";
        }

        @GetMapping("/actuator/metrics")
        String metrics() {
            return "metrics";
        }

        @GetMapping("/actuator/prometheus")
        String prometheus() {
            return "scrape";
        }

        @GetMapping("/openapi.yaml")
        String document() {
            return "openapi";
        }

        @GetMapping("/elsewhere")
        String elsewhere() {
            return "elsewhere";
        }
    }

    @BeforeEach
    void keysAndLimits() {
        given(clock.instant()).willReturn(Instant.parse("2026-12-04T12:00:00Z"));
        given(keys.authenticate(any())).willReturn(Optional.empty());
        given(keys.authenticate(KEY))
                .willReturn(Optional.of(new ApiKey(UUID.randomUUID(), "slice", "hash", "sk-slice", Instant.now())));
        given(rateLimits.count(any(), anyInt()))
                .willReturn(new RateLimits.Window(3000, 2999, Instant.parse("2026-12-04T12:01:00Z"), false));
    }

    @Test
    void callerRoutesTakeAnApiKeyAndSayWhatIsWrong() throws Exception {
        mvc.perform(get("/v1/probe"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"))
                .andExpect(jsonPath("$.error.message").value(org.hamcrest.Matchers.startsWith("You didn't provide")));
        mvc.perform(get("/v1/probe").header("Authorization", "Bearer sk-wrong"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.message").value("Incorrect API key provided."))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.param").isEmpty());
        mvc.perform(get("/v1/probe").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.message").value("Incorrect API key provided."));
        mvc.perform(get("/v1/probe").header("Authorization", "Bearer " + KEY))
                .andExpect(status().isOk())
                .andExpect(content().string("slice"))
                .andExpect(header().string("X-RateLimit-Remaining-Requests", "2999"));
    }

    @Test
    void adminRoutesTakeTheAdminTokenOnly() throws Exception {
        mvc.perform(post("/admin/probe"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        mvc.perform(post("/admin/probe").header("Authorization", "Bearer " + KEY))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        mvc.perform(post("/admin/probe").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk());
        mvc.perform(get("/actuator/metrics").header("Authorization", "Bearer " + KEY))
                .andExpect(status().isUnauthorized());
        mvc.perform(get("/actuator/metrics").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk());
    }

    @Test
    void theMetricsTokenOpensThePrometheusScrapeAndNothingElse() throws Exception {
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isOk())
                .andExpect(content().string("scrape"));
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk());
        for (String credential : new String[] {null, KEY, METRICS + "x"}) {
            var scrape = get("/actuator/prometheus");
            if (credential != null) {
                scrape.header("Authorization", "Bearer " + credential);
            }
            mvc.perform(scrape)
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.error.code").value("metrics_unauthorized"))
                    .andExpect(jsonPath("$.error.type").value("invalid_request_error"));
        }
        mvc.perform(get("/actuator/metrics").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        mvc.perform(post(URI.create("/%61dmin/probe")).header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        mvc.perform(get("/v1/probe").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"));
        mvc.perform(get("/elsewhere").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"));
    }

    @Test
    void theDecisionIsMadeOnTheDecodedPathTheRouterUses() throws Exception {
        mvc.perform(post(URI.create("/%61dmin/probe")))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        mvc.perform(get(URI.create("/%761/probe")))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("invalid_api_key"));
    }

    @Test
    void pathsThatCouldNameARouteTwoWaysAreRefused() throws Exception {
        for (String path : new String[] {"/admin;x/probe", "/v1;x/probe", "/admin/%2e/probe", "/x/../admin/probe"}) {
            mvc.perform(post(URI.create(path)).header("Authorization", "Bearer " + KEY))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.error.code").value("invalid_path"));
        }
    }

    @Test
    void onlyHealthAndTheDocumentArePublic() throws Exception {
        mvc.perform(get("/actuator/health/readiness")).andExpect(status().isOk());
        mvc.perform(head("/actuator/health/readiness")).andExpect(status().isOk());
        mvc.perform(get("/openapi.yaml")).andExpect(status().isOk());
        mvc.perform(get("/elsewhere")).andExpect(status().isUnauthorized());
        mvc.perform(get("/elsewhere").header("Authorization", "Bearer " + KEY)).andExpect(status().isOk());
    }
}
