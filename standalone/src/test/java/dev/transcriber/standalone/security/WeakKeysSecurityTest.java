package dev.transcriber.standalone.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.api.keys.ApiKeys;
import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestSystem;
import org.junit.jupiter.api.Test;

/**
 * A weak key is never a key: a {@code change-me} bootstrap key that an older version stored (before weak bootstrap
 * keys stopped the start) is refused like an unknown one, although its row is active.
 */
class WeakKeysSecurityTest {

    @Test
    void aPlaceholderKeyLeftInTheDatabaseOpensNothing() {
        TestSystem system = TestSystem.embedded();
        system.api().getBean(ApiKeys.class).ensure("change-me", "bootstrap");

        RawHttp.Response response =
                RawHttp.send(system.apiBaseUrl(), "GET", "/v1/models", null, "Authorization: Bearer change-me");

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.body()).contains("Incorrect API key provided.");
        assertThat(RawHttp.send(
                                system.apiBaseUrl(),
                                "GET",
                                "/v1/models",
                                null,
                                "Authorization: Bearer " + TestSystem.API_KEY)
                        .status())
                .isEqualTo(200);
    }
}
