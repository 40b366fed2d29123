package dev.transcriber.api.batches;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The address checks of one batch submission's URLs. Each host is a DNS look-up, so a host is judged once per
 * submission whatever its spelling (compared in lower case: the JDK's own cache of names keys them as written) and
 * whether it is named over http or https, and a batch whose items name more than {@code transcriber.batches.max-hosts}
 * different hosts is refused before any is looked up: one request could otherwise have the resolver asked thousands of
 * times.
 */
final class ItemHosts {

    private final AddressPolicy addresses;
    private final Map<String, String> problems = new HashMap<>();

    private ItemHosts(AddressPolicy addresses) {
        this.addresses = addresses;
    }

    /**
     * The checks for {@code items}; throws a 400 naming {@code items} when they name more than {@code maxHosts}
     * different hosts (a URL that does not parse, or has no host, is left to its item's own check).
     */
    static ItemHosts of(List<BatchRequest.Item> items, int maxHosts, AddressPolicy addresses) {
        Set<String> hosts = new HashSet<>();
        for (BatchRequest.Item item : items) {
            String host = item == null ? null : host(item.audio_url());
            if (host != null) {
                hosts.add(host);
            }
        }
        if (hosts.size() > maxHosts) {
            throw ApiException.invalidRequest(
                    "A batch's 'audio_url' items may name at most " + maxHosts + " different hosts; this one names "
                            + hosts.size() + ". Send them in smaller batches.",
                    "items");
        }
        return new ItemHosts(addresses);
    }

    /** The checks of a single URL (a feed's). */
    static ItemHosts one(AddressPolicy addresses) {
        return new ItemHosts(addresses);
    }

    /** Throws a 400 naming {@code param} unless {@code url} is an http(s) URL whose host the address policy allows. */
    void check(String url, String param) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest("Invalid value for '" + param + "': not a URL.", param);
        }
        String host = host(uri);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        // a host is judged once for http and https alike; another scheme is refused before any look-up
        String problem = host == null || !(scheme.equals("http") || scheme.equals("https"))
                ? judge(uri)
                : problems.computeIfAbsent(host, key -> judge(uri));
        if (!problem.isEmpty()) {
            throw ApiException.invalidRequest("Invalid value for '" + param + "': " + problem + ".", param);
        }
    }

    private String judge(URI uri) {
        try {
            addresses.check(uri);
            return "";
        } catch (DisallowedAddressException | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    private static String host(String url) {
        if (url == null) {
            return null;
        }
        try {
            return host(URI.create(url));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The host as compared here: in lower case; null when the URL has none. */
    private static String host(URI uri) {
        return uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
    }
}
