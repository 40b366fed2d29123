package dev.transcriber.api.batches;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.net.AddressPolicy;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A batch's {@code audio_url} hosts are each one DNS look-up at submission, however they are spelled: a host written
 * in many letter cases, or over http and https, is one host for the cap and one look-up (the JDK's own cache keys
 * names as written), and more different hosts than the cap are refused before any is looked up.
 */
class ItemHostsSecurityTest {

    private final AtomicInteger lookUps = new AtomicInteger();
    private final AddressPolicy addresses = new AddressPolicy(false, List.of(), host -> {
        lookUps.incrementAndGet();
        return List.of(InetAddress.getByAddress(host, new byte[] {93, (byte) 184, (byte) 215, 14}));
    });

    @Test
    void oneHostInManyLetterCasesIsOneHostAndOneLookUp() {
        List<BatchRequest.Item> items = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            items.add(item(caseVariant("https://media.example.com/episode-" + i + ".mp3", i)));
        }

        ItemHosts hosts = ItemHosts.of(items, 100, addresses);
        for (int i = 0; i < items.size(); i++) {
            hosts.check(items.get(i).audio_url(), "items[" + i + "].audio_url");
        }

        assertThat(lookUps).hasValue(1);
    }

    @Test
    void oneHostOverHttpAndHttpsIsOneLookUpAndAnotherSchemeNone() {
        List<BatchRequest.Item> items = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            items.add(item((i % 2 == 0 ? "http" : "HTTPS") + "://media.example.com/episode-" + i + ".mp3"));
        }
        ItemHosts hosts = ItemHosts.of(items, 100, addresses);
        for (int i = 0; i < items.size(); i++) {
            hosts.check(items.get(i).audio_url(), "items[" + i + "].audio_url");
        }

        assertThatThrownBy(() -> hosts.check("ftp://media.example.com/a.mp3", "items[100].audio_url"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("only http and https");
        assertThat(lookUps).hasValue(1);
    }

    @Test
    void moreDifferentHostsThanTheCapAreRefusedBeforeAnyIsLookedUp() {
        List<BatchRequest.Item> items = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            items.add(item("https://host-" + i + ".example.com/episode.mp3"));
        }

        assertThatThrownBy(() -> ItemHosts.of(items, 100, addresses))
                .isInstanceOf(ApiException.class)
                .hasMessage("A batch's 'audio_url' items may name at most 100 different hosts; this one names 101."
                        + " Send them in smaller batches.");
        assertThat(lookUps).hasValue(0);
    }

    @Test
    void aHostThatIsRefusedIsRefusedForEverySpellingWithoutAnotherLookUp() {
        AddressPolicy internal = new AddressPolicy(false, List.of(), host -> {
            lookUps.incrementAndGet();
            return List.of(InetAddress.getByAddress(host, new byte[] {10, 0, 0, 7}));
        });
        ItemHosts hosts = ItemHosts.of(List.of(item("http://Intranet.example.com/a.mp3")), 100, internal);

        assertThatThrownBy(() -> hosts.check("http://Intranet.example.com/a.mp3", "items[0].audio_url"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("items[0].audio_url");
        assertThatThrownBy(() -> hosts.check("HTTP://INTRANET.EXAMPLE.COM/b.mp3", "items[1].audio_url"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining("items[1].audio_url");
        assertThat(lookUps).hasValue(1);
    }

    private static BatchRequest.Item item(String url) {
        return new BatchRequest.Item(url, null, null);
    }

    /** {@code url} with its letters upper- or lower-cased by the bits of {@code bits}. */
    private static String caseVariant(String url, int bits) {
        StringBuilder spelled = new StringBuilder();
        int bit = 0;
        for (char c : url.toCharArray()) {
            spelled.append(
                    Character.isLetter(c) && ((bits >> (bit++ % 12)) & 1) == 1
                            ? Character.toUpperCase(c)
                            : Character.toLowerCase(c));
        }
        return spelled.toString().toLowerCase(Locale.ROOT).equals(url) ? spelled.toString() : url;
    }
}
