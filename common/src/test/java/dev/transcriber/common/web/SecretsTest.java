package dev.transcriber.common.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void placeholdersAndShortOrChosenSecretsAreRefused() {
        for (String weak : new String[] {
            "change-me",
            "CHANGE-ME-" + HexFormat.of().formatHex(random(24)),
            "sk-test-flow-key",
            "admin",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abababababababababababababababababababababababababab",
            "abcdefghijklmnopqrstuvwxyz0123",
            "qwertyuiopasdfghjklzxcvbnm1234",
            "letmein-letmein-letmein-letmein-letmein-letmein-",
            "admin-admin-admin-admin-admin-admin-admin-admin-admin-admin-",
            HexFormat.of().formatHex(random(15))
        }) {
            assertThatThrownBy(() -> Secrets.requireStrong("the setting", weak))
                    .as(weak)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the setting")
                    .hasMessageContaining("openssl rand -hex 32");
            assertThat(Secrets.isStrong(weak)).as(weak).isFalse();
        }
    }

    @Test
    void randomSecretsOf128BitsOrMoreAreAlwaysTaken() {
        Base64.Encoder base64 = Base64.getEncoder();
        for (int i = 0; i < 2_000; i++) {
            for (String strong : new String[] {
                HexFormat.of().formatHex(random(16)),
                HexFormat.of().formatHex(random(32)),
                base64.encodeToString(random(16)),
                base64.encodeToString(random(32)),
                Base64.getUrlEncoder().withoutPadding().encodeToString(random(24)),
                "sk-local-" + HexFormat.of().formatHex(random(24)),
                "admin-" + HexFormat.of().formatHex(random(24)),
                "sk-" + HexFormat.of().formatHex(random(24))
            }) {
                assertThat(Secrets.weakness(strong)).as(strong).isNull();
            }
        }
        assertThat(Secrets.estimatedBits(HexFormat.of().formatHex(random(16)))).isEqualTo(128);
    }

    @Test
    void paddedBase64IsEstimatedAsBase64EvenWhenItsCharactersFallInASmallerAlphabet() {
        // base64 of 16 random bytes, drawn by the test above, whose characters are all lower-case letters and digits
        String random = "na5duy1xala90ob5j9zq3g==";
        assertThat(Base64.getDecoder().decode(random)).hasSize(16);

        assertThat(Secrets.weakness(random)).isNull();
        assertThat(Secrets.estimatedBits(random)).isEqualTo(132);
        assertThat(Secrets.estimatedBits("na5duy1xala90ob5j9zq3g")).isLessThan(128); // without its padding: unknown
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

    @Test
    void theInternalTokenIsCheckedAsTheAdminTokenAndMayNotBeIt() {
        GatewaySecurity security = new GatewaySecurity();
        assertThat(security.internalToken("", "").configured()).isFalse();
        assertThat(security.internalToken(null, null).bearer()).isNull();
        assertThatThrownBy(() -> security.internalToken("change-me", "")).isInstanceOf(IllegalStateException.class);
        String strong = HexFormat.of().formatHex(random(32));
        InternalToken internal =
                security.internalToken(" " + strong, HexFormat.of().formatHex(random(32)));
        assertThat(internal.matches(strong)).isTrue();
        assertThat(internal.bearer()).isEqualTo(strong);
        assertThatThrownBy(() -> security.internalToken(strong, strong + " "))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("admin token");
    }

    @Test
    void theMetricsTokenIsCheckedAsTheAdminTokenAndMayBeNeitherItNorTheInternalToken() {
        GatewaySecurity security = new GatewaySecurity();
        assertThat(security.metricsToken("", "", "").configured()).isFalse();
        assertThat(security.metricsToken(null, null, null).matches("anything")).isFalse();
        assertThatThrownBy(() -> security.metricsToken("change-me", "", "")).isInstanceOf(IllegalStateException.class);
        String strong = HexFormat.of().formatHex(random(32));
        String other = HexFormat.of().formatHex(random(32));
        MetricsToken metrics = security.metricsToken(" " + strong, other, "");
        assertThat(metrics.matches(strong)).isTrue();
        assertThat(metrics.matches(other)).isFalse();
        assertThatThrownBy(() -> security.metricsToken(strong, strong + " ", other))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("admin token");
        assertThatThrownBy(() -> security.metricsToken(strong, other, " " + strong))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("internal token");
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }
}
