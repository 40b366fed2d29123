package dev.transcriber.worker;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;

/**
 * With neither the admin token nor the metrics token set, the Prometheus scrape is closed to every credential (403),
 * as the admin routes are; with only the metrics token set, it opens to that token and the admin routes stay closed.
 */
@WebMvcTest(WorkerSecurityTest.Probes.class)
@Import({WorkerSecurity.class, WorkerSecurityTest.Probes.class})
class WorkerSecurityClosedMetricsTest {

    @Autowired
    private MockMvc mvc;

    @Test
    void theScrapeIsClosedWhenNoTokenOpensIt() throws Exception {
        for (String credential : new String[] {null, WorkerSecurityTest.ADMIN, WorkerSecurityTest.METRICS}) {
            var scrape = get("/actuator/prometheus");
            var enable = post("/admin/accounts/a/enable");
            if (credential != null) {
                scrape.header("Authorization", "Bearer " + credential);
                enable.header("Authorization", "Bearer " + credential);
            }
            mvc.perform(scrape)
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.error.code").value("metrics_unauthorized"));
            mvc.perform(enable)
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        }
    }

    /** Only the metrics token set: the scrape takes it, and the admin API is still closed to it. */
    @Nested
    @TestPropertySource(properties = "transcriber.metrics.token=" + WorkerSecurityTest.METRICS)
    class WithTheMetricsTokenOnly {

        @Autowired
        private MockMvc mvc;

        @Test
        void theScrapeTakesItAndTheAdminApiStaysClosed() throws Exception {
            mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + WorkerSecurityTest.METRICS))
                    .andExpect(status().isOk());
            mvc.perform(get("/actuator/prometheus"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.error.code").value("metrics_unauthorized"));
            mvc.perform(post("/admin/accounts/a/enable")
                            .header("Authorization", "Bearer " + WorkerSecurityTest.METRICS))
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.error.code").value("admin_unauthorized"));
        }
    }
}
