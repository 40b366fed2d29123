package dev.transcriber.common.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void placeholdersAndShortOrRepetitiveSecretsAreRefused() {
        for (String weak : new String[] {
            "change-me",
            "CHANGE-ME-" + HexFormat.of().formatHex(random(24)),
            "sk-test-flow-key",
            "admin",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abababababababababababababababababababababababababab"
        }) {
            assertThatThrownBy(() -> Secrets.requireStrong("the setting", weak))
                    .as(weak)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the setting")
                    .hasMessageContaining("openssl rand -hex 32");
        }
    }

    @Test
    void randomSecretsOfEnoughBitsAreTaken() {
        Secrets.requireStrong("hex 32 bytes", HexFormat.of().formatHex(random(32)));
        Secrets.requireStrong("local key", "sk-local-" + HexFormat.of().formatHex(random(24)));
        assertThat(Secrets.estimatedBits(HexFormat.of().formatHex(random(32)))).isGreaterThan(200);
    }

    @Test
    void anUnsetAdminTokenClosesTheAdminApiAndAWeakOneStopsTheStart() {
        assertThat(new AdminToken("").configured()).isFalse();
        assertThat(new AdminToken(null).matches("anything")).isFalse();
        assertThatThrownBy(() -> new AdminToken("change-me")).isInstanceOf(IllegalStateException.class);
        String strong = HexFormat.of().formatHex(random(32));
        assertThat(new AdminToken(strong).matches(strong)).isTrue();
        assertThat(new AdminToken(strong).matches(strong + "x")).isFalse();
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }
}
