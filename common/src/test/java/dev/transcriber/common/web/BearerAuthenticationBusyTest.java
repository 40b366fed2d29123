package dev.transcriber.common.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/**
 * A bearer that could not be checked because too many are being checked at once is answered by the filter itself: 503
 * {@code server_busy} in the OpenAI shape with {@code Retry-After}, the request going no further (thrown on, the
 * container would log every such refusal as an error, and a management port's error page would not be OpenAI's).
 */
class BearerAuthenticationBusyTest {

    @Test
    void aCheckRefusedAsBusyIsA503ServerBusyAndTheRequestGoesNoFurther() throws Exception {
        BearerAuthentication filter =
                new BearerAuthentication(new AdminToken(""), new MetricsToken(""), (secret, r) -> {
                    throw new ServerBusy("Too many keys being checked; again shortly.");
                });
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v1/models");
        request.addHeader("Authorization", "Bearer sk-some-key-this-instance-has-not-seen-0123456789");
        MockHttpServletResponse response = new MockHttpServletResponse();
        AtomicBoolean reached = new AtomicBoolean();

        filter.doFilter(request, response, (req, res) -> reached.set(true));

        assertThat(reached).isFalse();
        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(response.getHeader("Retry-After")).isEqualTo(String.valueOf(Unavailable.RETRY_AFTER_SECONDS));
        assertThat(response.getContentType()).startsWith("application/json");
        assertThat(response.getContentAsString())
                .contains("\"code\":\"server_busy\"")
                .contains("\"type\":\"server_error\"")
                .contains("Too many keys being checked; again shortly.");
    }
}
