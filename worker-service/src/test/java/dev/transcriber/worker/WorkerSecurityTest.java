package dev.transcriber.worker;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The worker's route table ({@link WorkerSecurity}): health is public, the internal route takes the internal token
 * only, the Prometheus scrape the metrics token or the admin token, everything else the admin token only.
 */
@WebMvcTest(WorkerSecurityTest.Probes.class)
@Import({WorkerSecurity.class, WorkerSecurityTest.Probes.class})
@TestPropertySource(
        properties = {
            "transcriber.admin.token=" + WorkerSecurityTest.ADMIN,
            "transcriber.internal.token=" + WorkerSecurityTest.INTERNAL,
            "transcriber.metrics.token=" + WorkerSecurityTest.METRICS
        })
class WorkerSecurityTest {

    static final String ADMIN = "admin-worker-3e9b1d7c52a04f86e1c0b9d2a7f35468c1e0d9b7";
    static final String INTERNAL = "internal-5c1f0a9e7b3d42c86e0f1a2b9d7c4e3085b6a1f2";
    static final String METRICS = "metrics-9a4e2c7f1b0d53e86a2f9c1d7b4e0a3685c2f1d9";

    @Autowired
    private MockMvc mvc;

    @RestController
    static class Probes {
        @PostMapping("/admin/accounts/a/enable")
        String enable() {
            return "enabled";
        }

        @GetMapping("/actuator/prometheus")
        String prometheus() {
            return "metrics";
        }

        @PostMapping("/internal/jobs/j/run")
        String run() {
            return "ran";
        }

        @GetMapping("/actuator/health/liveness")
        String health() {
            return "up";
        }
    }

    @Test
    void everythingButHealthTakesTheAdminToken() throws Exception {
        mvc.perform(get("/actuator/health/liveness")).andExpect(status().isOk());
        for (String credential : new String[] {null, "sk-some-api-key", ADMIN + "x", INTERNAL, METRICS}) {
            var enable = post("/admin/accounts/a/enable");
            var scrape = get("/actuator/prometheus");
            if (credential != null) {
                enable.header("Authorization", "Bearer " + credential);
                scrape.header("Authorization", "Bearer " + credential);
            }
            mvc.perform(enable)
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
            if (!METRICS.equals(credential)) {
                mvc.perform(scrape)
                        .andExpect(status().isUnauthorized())
                        .andExpect(jsonPath("$.error.code").value("metrics_unauthorized"));
            }
        }
        mvc.perform(post("/admin/accounts/a/enable").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk());
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk());
    }

    @Test
    void theMetricsTokenOpensThePrometheusScrapeAndNothingElse() throws Exception {
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isOk())
                .andExpect(content().string("metrics"));
        mvc.perform(get(URI.create("/actuator/%70rometheus")).header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isOk());
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + METRICS + "x"))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("metrics_unauthorized"));
        mvc.perform(post("/internal/jobs/j/run").header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("internal_unauthorized"));
        mvc.perform(post(URI.create("/%61dmin/accounts/a/enable")).header("Authorization", "Bearer " + METRICS))
                .andExpect(status().isUnauthorized())
                .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
    }

    @Test
    void theInternalRouteTakesTheInternalTokenOnly() throws Exception {
        for (String credential : new String[] {null, "sk-some-api-key", ADMIN, INTERNAL + "x", METRICS}) {
            var run = post("/internal/jobs/j/run");
            if (credential != null) {
                run.header("Authorization", "Bearer " + credential);
            }
            mvc.perform(run)
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.error.code").value("internal_unauthorized"));
        }
        mvc.perform(post("/internal/jobs/j/run").header("Authorization", "Bearer " + INTERNAL))
                .andExpect(status().isOk());
        mvc.perform(post(URI.create("/%69nternal/jobs/j/run")).header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void anEncodedSpellingIsJudgedAsTheRouteItNames() throws Exception {
        mvc.perform(post(URI.create("/%61dmin/accounts/a/enable"))).andExpect(status().isUnauthorized());
        mvc.perform(post(URI.create("/admin;x/accounts/a/enable")).header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error.code").value("invalid_path"));
    }
}
