package dev.transcriber.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
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
                "[fec0::1]",
                "2130706433",
                "[::ffff:7f00:1]",
                "[0:0:0:0:0:0:0:1]",
                "[fe80::1%1]"
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

    @Test
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

    @ParameterizedTest
    @ValueSource(
            strings = {
                "fd00::1", // unique local
                "fe80::1", // link-local
                "fec0::1", // site-local
                "::ffff:a00:1", // IPv4-mapped 10.0.0.1, as an IPv6 address
                "::ffff:a9fe:a9fe", // IPv4-mapped 169.254.169.254, as an IPv6 address
                "::ffff:7f00:1", // IPv4-mapped loopback, as an IPv6 address
                "64:ff9b::c0a8:1", // NAT64 of 192.168.0.1
                "2002:c0a8:1::1" // 6to4 of 192.168.0.1
            })
    void aNameResolvingToAnInternalIpv6FormIsRefused(String answer) throws UnknownHostException {
        // as a resolver may answer an AAAA query: an IPv6 address object, even for the mapped IPv4 forms
        byte[] parsed = InetAddress.getByName(answer).getAddress(); // the JDK gives mapped forms as IPv4
        InetAddress address = Inet6Address.getByAddress(null, parsed.length == 16 ? parsed : mapped(parsed), -1);
        AddressPolicy answering = new AddressPolicy(false, List.of(), name -> List.of(address));

        assertThatThrownBy(() -> answering.check(URI.create("https://media.example/a.mp3")))
                .as(answer)
                .isInstanceOf(DisallowedAddressException.class);
    }

    @Test
    void aNameIsRefusedWhenAnyOfItsAddressesIsInternal() throws UnknownHostException {
        InetAddress publicAddress = InetAddress.getByName("93.184.216.34");
        for (String internal : List.of("10.0.0.7", "169.254.169.254", "fd00::7", "127.0.0.1")) {
            List<InetAddress> answer = List.of(publicAddress, InetAddress.getByName(internal));
            AddressPolicy mixed = new AddressPolicy(false, List.of(), name -> answer);

            assertThatThrownBy(() -> mixed.check(URI.create("https://media.example/a.mp3")))
                    .as(internal)
                    .isInstanceOf(DisallowedAddressException.class);
        }
    }

    @Test
    void anAllowedNameAnswersExactlyTheAddressesItResolvedToOnce() throws UnknownHostException {
        List<InetAddress> answer =
                List.of(InetAddress.getByName("93.184.216.34"), InetAddress.getByName("2606:2800:220:1::1"));
        List<String> asked = new ArrayList<>();
        AddressPolicy resolving = new AddressPolicy(false, List.of(), name -> {
            asked.add(name);
            return answer;
        });

        assertThat(resolving.check(URI.create("https://media.example:8443/a.mp3")))
                .containsExactlyElementsOf(answer);
        assertThat(asked)
                .as("resolved once, so a later answer cannot change where it goes")
                .containsExactly("media.example");
    }

    @Test
    void aNameResolvingToTheMappedFormOfAPublicAddressIsAllowed() throws UnknownHostException {
        InetAddress mapped = Inet6Address.getByAddress(null, mapped(new byte[] {8, 8, 8, 8}), -1);
        AddressPolicy answering = new AddressPolicy(false, List.of(), name -> List.of(mapped));

        assertThat(answering.check(URI.create("https://media.example/a.mp3"))).containsExactly(mapped);
    }

    @Test
    void aNameWithoutAnyAddressIsRefused() {
        AddressPolicy empty = new AddressPolicy(false, List.of(), name -> List.of());

        assertThatThrownBy(() -> empty.check(URI.create("https://media.example/")))
                .isInstanceOf(DisallowedAddressException.class);
    }

    @Test
    void anAllowListedNameIsAllowedWhateverItResolvesToAndOpensNoOtherName() throws UnknownHostException {
        InetAddress internal = InetAddress.getByName("10.1.2.3");
        Map<String, List<InetAddress>> dns =
                Map.of("media.internal", List.of(internal), "other.internal", List.of(internal));
        AddressPolicy allowed = new AddressPolicy(false, List.of(" Media.Internal "), dns::get);

        assertThat(allowed.check(URI.create("http://media.internal/a.mp3"))).containsExactly(internal);
        assertThatThrownBy(() -> allowed.check(URI.create("http://other.internal/a.mp3")))
                .isInstanceOf(DisallowedAddressException.class);
    }

    @Test
    void anAllowListedBlockCoversTheMappedFormOfItsAddressesAndIpv6BlocksWork() throws UnknownHostException {
        InetAddress mapped = Inet6Address.getByAddress(null, mapped(new byte[] {10, 1, 2, 3}), -1);
        InetAddress uniqueLocal = InetAddress.getByName("fd00::7");
        Map<String, List<InetAddress>> dns =
                Map.of("mapped.example", List.of(mapped), "ula.example", List.of(uniqueLocal));
        AddressPolicy allowed = new AddressPolicy(false, List.of("10.0.0.0/8", "fd00::/8"), dns::get);
        AddressPolicy notAllowed = new AddressPolicy(false, List.of("10.0.0.0/16", "fd01::/16"), dns::get);

        assertThat(allowed.check(URI.create("http://mapped.example/"))).containsExactly(mapped);
        assertThat(allowed.check(URI.create("http://ula.example/"))).containsExactly(uniqueLocal);
        assertThatThrownBy(() -> notAllowed.check(URI.create("http://mapped.example/")))
                .isInstanceOf(DisallowedAddressException.class);
        assertThatThrownBy(() -> notAllowed.check(URI.create("http://ula.example/")))
                .isInstanceOf(DisallowedAddressException.class);
    }

    /** {@code ::ffff:a.b.c.d}: the 16 bytes of the IPv4-mapped form of {@code ipv4}. */
    private static byte[] mapped(byte[] ipv4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        System.arraycopy(ipv4, 0, b, 12, 4);
        return b;
    }
}
