package dev.transcriber.common.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Which addresses the gateway may call on a caller's behalf ({@code audio_url}, {@code webhook_url}, feeds):
 * never loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata
 * address, fe80::/10), carrier-grade NAT (100.64/10), unspecified or multicast addresses, as resolved by DNS, unless
 * allow-listed ({@code transcriber.network.allow-list}: hosts or CIDR blocks). Loopback alone can be opened with
 * {@code transcriber.network.allow-loopback} (the local mode does, so a local user can name localhost).
 */
public final class AddressPolicy {

    private final boolean allowLoopback;
    private final List<String> allowList;

    public AddressPolicy(boolean allowLoopback, List<String> allowList) {
        this.allowLoopback = allowLoopback;
        this.allowList = allowList == null
                ? List.of()
                : allowList.stream().map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    /** Throws {@link DisallowedAddressException} naming the problem when {@code uri} may not be called. */
    public void check(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DisallowedAddressException("only http and https URLs are allowed");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new DisallowedAddressException("the URL has no host");
        }
        String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (allowList.stream().anyMatch(a -> a.equalsIgnoreCase(bare))) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(bare);
        } catch (UnknownHostException e) {
            throw new DisallowedAddressException("the host '" + host + "' does not resolve");
        }
        for (InetAddress address : addresses) {
            if (allowListed(address)) {
                continue;
            }
            if (address.isLoopbackAddress() && allowLoopback) {
                continue;
            }
            String why = refusal(address);
            if (why != null) {
                throw new DisallowedAddressException(
                        "the host '" + host + "' resolves to " + address.getHostAddress() + ", " + why);
            }
        }
    }

    private static String refusal(InetAddress address) {
        byte[] b = address.getAddress();
        if (address.isLoopbackAddress()) {
            return "a loopback address";
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return "not a unicast address";
        }
        if (address.isLinkLocalAddress()) {
            return "a link-local address (such as a cloud metadata service)";
        }
        if (address.isSiteLocalAddress() || (b.length == 16 && (b[0] & 0xfe) == 0xfc)) {
            return "a private address";
        }
        if (b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
            return "a carrier-grade NAT address";
        }
        return null;
    }

    private boolean allowListed(InetAddress address) {
        for (String entry : allowList) {
            int slash = entry.indexOf('/');
            try {
                InetAddress base = InetAddress.getByName(slash < 0 ? entry : entry.substring(0, slash));
                int bits = slash < 0 ? base.getAddress().length * 8 : Integer.parseInt(entry.substring(slash + 1));
                if (inBlock(address.getAddress(), base.getAddress(), bits)) {
                    return true;
                }
            } catch (UnknownHostException | NumberFormatException e) {
                // a host name in the list that does not resolve, or a bad entry: it matches nothing
            }
        }
        return false;
    }

    private static boolean inBlock(byte[] address, byte[] base, int bits) {
        if (address.length != base.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((address[i / 8] & mask) != (base[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }
}
