package dev.transcriber.worker.accounts;

import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.transcriber.worker.WorkerSecurity;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;

@WebMvcTest(AdminAccountsController.class)
@Import(WorkerSecurity.class)
@TestPropertySource(properties = "transcriber.admin.token=" + AdminAccountsControllerTest.ADMIN)
class AdminAccountsControllerTest {

    static final String ADMIN = "admin-accounts-5b0e2c9d71f34a86b2d0c7e1f9a3b64d8e2c0f17";

    @Autowired
    private MockMvc mvc;

    @MockitoBean
    private AccountPool pool;

    @Test
    void enablingAnUnknownAccountIsA404InTheOpenAiShape() throws Exception {
        given(pool.enable("nope")).willReturn(false);

        mvc.perform(post("/admin/accounts/nope/enable").header("Authorization", "Bearer " + ADMIN))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.error.message").value("No account 'nope'."))
                .andExpect(jsonPath("$.error.type").value("invalid_request_error"))
                .andExpect(jsonPath("$.error.code").value("account_not_found"))
                .andExpect(jsonPath("$.error.param").value("id"));
    }
}
