package dev.transcriber.api.errors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.store.FailureCode;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class ErrorResponsesTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void failedJobsAnswerWithTheSeedsCodesAndStatuses() {
        var noAccounts = ErrorResponses.entity(
                ApiException.jobFailed(FailureCode.NO_ACCOUNTS, "No upstream accounts available", null));
        var upstream = ErrorResponses.entity(
                ApiException.jobFailed(FailureCode.UPSTREAM_ERROR, "Upstream transcription service error", null));

        assertThat(noAccounts.getStatusCode().value()).isEqualTo(503);
        assertThat(json.writeValueAsString(noAccounts.getBody()))
                .isEqualTo("{\"error\":{\"message\":\"No upstream accounts available\",\"type\":\"server_error\","
                        + "\"code\":\"no_accounts\",\"param\":null}}");
        assertThat(upstream.getStatusCode().value()).isEqualTo(502);
        assertThat(upstream.getBody().error().code()).isEqualTo("upstream_error");
    }
}
