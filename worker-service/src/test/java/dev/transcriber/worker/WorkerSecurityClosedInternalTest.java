package dev.transcriber.worker;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.servlet.MockMvc;

/** With no internal token set, the internal route is closed to every credential, the admin token included. */
@WebMvcTest(WorkerSecurityTest.Probes.class)
@Import({WorkerSecurity.class, WorkerSecurityTest.Probes.class})
@TestPropertySource(properties = "transcriber.admin.token=" + WorkerSecurityTest.ADMIN)
class WorkerSecurityClosedInternalTest {

    @Autowired
    private MockMvc mvc;

    @Test
    void theInternalRouteIsClosedWithoutItsToken() throws Exception {
        for (String credential : new String[] {null, WorkerSecurityTest.ADMIN, WorkerSecurityTest.INTERNAL}) {
            var run = post("/internal/jobs/j/run");
            if (credential != null) {
                run.header("Authorization", "Bearer " + credential);
            }
            mvc.perform(run)
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.error.code").value("internal_unauthorized"));
        }
    }
}
