package dev.transcriber.worker.accounts;

import static org.hamcrest.Matchers.nullValue;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.transcriber.worker.WorkerSecurity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

@WebMvcTest(AdminAccountsController.class)
@Import(WorkerSecurity.class)
@TestPropertySource(properties = "transcriber.admin.token=" + AdminAccountsControllerTest.ADMIN)
class AdminAccountsControllerTest {

    static final String ADMIN = "admin-accounts-5b0e2c9d71f34a86b2d0c7e1f9a3b64d8e2c0f17";

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private AccountPool pool;

    @Autowired
    private JsonMapper json;

    private static final List<AccountPool.AccountStatus> STATUSES = List.of(
            new AccountPool.AccountStatus(
                    "primary",
                    "cooling",
                    Instant.parse("2026-12-01T00:00:30Z"),
                    null,
                    2,
                    41,
                    Map.of("rate_limited", 3L),
                    812.5,
                    1904.0,
                    "closed",
                    3,
                    4),
            new AccountPool.AccountStatus(
                    "spare", "disabled", null, "401 from upstream", 0, 0, Map.of(), null, null, "closed", 0, 2));

    @Test
    void theAccountsAreListedUnderDataAsTheyWereWhenTheAnswerWasAMap() throws Exception {
        given(pool.status()).willReturn(STATUSES);

        mvc.perform(get("/admin/accounts").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(content().string(json.writeValueAsString(Map.of("data", STATUSES))))
                .andExpect(jsonPath("$.data[0].coolingUntil").value("2026-12-01T00:00:30Z"))
                .andExpect(jsonPath("$.data[1].disabledReason").value("401 from upstream"))
                .andExpect(jsonPath("$.data[1].latencyP50Ms").value(nullValue()));
    }

    @Test
    void reEnablingAnAccountAnswersEveryAccountAfterTheChange() throws Exception {
        given(pool.enable("spare")).willReturn(true);
        given(pool.status()).willReturn(STATUSES);

        mvc.perform(post("/admin/accounts/spare/enable").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isOk())
                .andExpect(content().string(json.writeValueAsString(Map.of("data", STATUSES))));
    }

    @Test
    void enablingAnUnknownAccountIsA404InTheOpenAiShape() throws Exception {
        given(pool.enable("nope")).willReturn(false);

        mvc.perform(post("/admin/accounts/nope/enable").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isNotFound())
                .andExpect(content().contentType(MediaType.APPLICATION_JSON))
                .andExpect(jsonPath("$.error.message").value("No account 'nope'."))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.code").value("account_not_found"))
                .andExpect(jsonPath("$.error.param").value("id"));
    }
}
