package dev.transcriber.common.net;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {

    private final AddressPolicy policy = new AddressPolicy(false, List.of());

    @ParameterizedTest
    @ValueSource(
            strings = {
                "127.0.0.1",
                "127.1.2.3",
                "0.0.0.0",
                "0.1.2.3",
                "10.0.0.1",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
                "169.254.169.254",
                "100.64.0.1",
                "100.127.255.255",
                "192.0.0.1",
                "192.0.0.170",
                "198.18.0.1",
                "198.19.255.255",
                "192.0.2.1",
                "198.51.100.1",
                "203.0.113.1",
                "224.0.0.1",
                "239.255.255.250",
                "240.0.0.1",
                "255.255.255.255",
                "[::1]",
                "[::]",
                "[fe80::1]",
                "[fc00::1]",
                "[fd12:3456::1]",
                "[ff02::1]",
                "[::127.0.0.1]",
                "[::10.0.0.1]",
                "[::8.8.8.8]",
                "[::ffff:127.0.0.1]",
                "[::ffff:10.0.0.1]",
                "[::ffff:169.254.169.254]",
                "[::ffff:0:127.0.0.1]",
                "[64:ff9b::7f00:1]",
                "[64:ff9b::a00:1]",
                "[64:ff9b:1::a00:1]",
                "[2002:7f00:1::1]",
                "[2002:a00:1::1]",
                "[2002:808:808::1]",
                "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
                "[2001:db8::1]",
                "[100::1]",
                "[fec0::1]"
            })
    void refusesEveryNonPublicRange(String host) {
        assertThatThrownBy(() -> policy.check(URI.create("http://" + host + "/a.mp3")))
                .as(host)
                .isInstanceOf(DisallowedAddressException.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "8.8.8.8",
                "1.1.1.1",
                "93.184.216.34",
                "[2606:4700:4700::1111]",
                "[2a00:1450::1]",
                "[64:ff9b::808:808]",
                "[::ffff:8.8.8.8]"
            })
    void allowsPublicAddresses(String host) {
        assertThatCode(() -> policy.check(URI.create("https://" + host + "/a.mp3")))
                .as(host)
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"internal.example", "localhost"})
    void aRefusalDoesNotSayWhatANameResolvesTo(String host) {
        AddressPolicy answering10 =
                new AddressPolicy(false, List.of(), name -> List.of(InetAddress.getByName("10.1.2.3")));
        AddressPolicy answeringLoopback =
                new AddressPolicy(false, List.of(), name -> List.of(InetAddress.getByName("127.0.0.1")));
        for (AddressPolicy p : List.of(answering10, answeringLoopback)) {
            assertThatThrownBy(() -> p.check(URI.create("http://" + host + "/")))
                    .isInstanceOf(DisallowedAddressException.class)
                    .message()
                    .doesNotContain("10.1.2.3")
                    .doesNotContain("127.0.0.1")
                    .doesNotContain("loopback")
                    .doesNotContain("private");
        }
    }

    @org.junit.jupiter.api.Test
    void anUnresolvableNameIsRefusedLikeAnInternalOne() {
        AddressPolicy nothing = new AddressPolicy(false, List.of(), name -> {
            throw new java.net.UnknownHostException(name);
        });
        AddressPolicy internal =
                new AddressPolicy(false, List.of(), name -> List.of(InetAddress.getByName("10.1.2.3")));
        String unresolvable = catchMessage(nothing, "http://a.example/");
        assertThatThrownBy(() -> internal.check(URI.create("http://a.example/")))
                .hasMessage(unresolvable);
    }

    private static String catchMessage(AddressPolicy policy, String url) {
        try {
            policy.check(URI.create(url));
        } catch (DisallowedAddressException e) {
            return e.getMessage();
        }
        throw new AssertionError("not refused: " + url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]"})
    void loopbackOpensOnlyWhenAllowed(String host) {
        AddressPolicy local = new AddressPolicy(true, List.of());
        assertThatCode(() -> local.check(URI.create("http://" + host + ":8080/")))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> local.check(URI.create("http://10.0.0.1/")))
                .isInstanceOf(DisallowedAddressException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/8", "10.1.2.3"})
    void theAllowListOpensBlocks(String entry) {
        AddressPolicy allowed = new AddressPolicy(false, List.of(entry));
        assertThatCode(() -> allowed.check(URI.create("http://10.1.2.3/"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> allowed.check(URI.create("http://192.168.0.1/")))
                .isInstanceOf(DisallowedAddressException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/a", "file:///etc/passwd", "gopher://x/", "http:///nohost"})
    void refusesOtherSchemesAndHostlessUrls(String url) {
        assertThatThrownBy(() -> policy.check(URI.create(url))).isInstanceOf(DisallowedAddressException.class);
    }
}
