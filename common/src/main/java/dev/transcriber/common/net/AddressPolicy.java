package dev.transcriber.common.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which addresses the gateway may call on a caller's behalf ({@code audio_url}, {@code webhook_url}, feeds): only
 * public unicast addresses, as resolved by DNS, unless allow-listed ({@code transcriber.network.allow-list}: hosts or
 * CIDR blocks). Refused: "this network" 0/8, loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10), carrier-grade NAT 100.64/10, IETF protocol assignments
 * 192.0.0/24, documentation blocks, benchmarking 198.18/15, multicast, reserved 240/4 and broadcast, the unspecified
 * and site-local IPv6 addresses, IPv4-compatible {@code ::a.b.c.d}, 6to4 2002::/16, Teredo 2001::/32, 2001:db8::/32,
 * 100::/64 and local-use NAT64 64:ff9b:1::/48. IPv4-mapped {@code ::ffff:a.b.c.d} and well-known NAT64
 * {@code 64:ff9b::/96} are judged by the IPv4 address they carry. Loopback alone can be opened with
 * {@code transcriber.network.allow-loopback} (the local mode does, so a local user can name localhost).
 *
 * <p>A check answers the addresses it judged: the caller must connect to those and no others (see
 * {@link OutboundHttp}), so that a name that resolves differently a moment later (DNS rebinding) cannot lead
 * elsewhere. A refusal never says what a name resolved to: an unresolvable name and an internal one read the same.
 */
public final class AddressPolicy {

    /** Resolves a host name (or literal) to its addresses; the system resolver unless a test gives another. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    private static final Resolver SYSTEM = host -> Arrays.asList(InetAddress.getAllByName(host));

    private final boolean allowLoopback;
    private final List<String> allowList;
    private final Resolver resolver;

    public AddressPolicy(boolean allowLoopback, List<String> allowList) {
        this(allowLoopback, allowList, SYSTEM);
    }

    public AddressPolicy(boolean allowLoopback, List<String> allowList, Resolver resolver) {
        this.allowLoopback = allowLoopback;
        this.allowList = allowList == null
                ? List.of()
                : allowList.stream().map(String::trim).filter(a -> !a.isEmpty()).toList();
        this.resolver = resolver;
    }

    /**
     * Throws {@link DisallowedAddressException} naming the problem when {@code uri} may not be called; otherwise the
     * addresses its host resolved to, all allowed.
     */
    public List<InetAddress> check(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new DisallowedAddressException("only http and https URLs are allowed");
        }
        String host = uri.getHost();
        if (host == null || host.isBlank()) {
            throw new DisallowedAddressException("the URL has no host");
        }
        return resolve(host);
    }

    /**
     * The addresses of {@code host} (a name, or an IP literal with or without brackets), resolved once, every one of
     * them allowed; otherwise {@link DisallowedAddressException}. Connect to these and only these.
     */
    public List<InetAddress> resolve(String host) {
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        boolean hostAllowListed = allowList.stream().anyMatch(a -> a.equalsIgnoreCase(bare));
        List<InetAddress> addresses;
        try {
            addresses = List.copyOf(resolver.resolve(bare));
        } catch (UnknownHostException | RuntimeException e) {
            throw refused(host);
        }
        if (addresses.isEmpty()) {
            throw refused(host);
        }
        if (hostAllowListed) {
            return addresses;
        }
        for (InetAddress address : addresses) {
            if (!allowed(address)) {
                throw refused(host);
            }
        }
        return addresses;
    }

    private static DisallowedAddressException refused(String host) {
        return new DisallowedAddressException("the host '" + host
                + "' does not resolve to a public address (internal and reserved addresses are" + " refused)");
    }

    private boolean allowed(InetAddress address) {
        if (allowListed(address)) {
            return true;
        }
        InetAddress judged = embeddedIpv4(address);
        if (judged == null) {
            return false; // an IPv6 form refused whatever it carries
        }
        if (judged != address && allowListed(judged)) {
            return true;
        }
        if (judged.isLoopbackAddress()) {
            return allowLoopback;
        }
        return isPublic(judged);
    }

    /**
     * The address to judge: an IPv4 address itself, the IPv4 address inside an IPv4-mapped or well-known NAT64
     * address, the IPv6 address itself otherwise; null for forms refused outright (IPv4-compatible, 6to4, Teredo,
     * local-use NAT64).
     */
    private static InetAddress embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] b = address.getAddress();
        if (zero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            return ipv4(b); // ::ffff:a.b.c.d (the JDK usually gives these as IPv4 already)
        }
        if (zero(b, 0, 12)) {
            return (b[15] == 1 || b[15] == 0) && zero(b, 12, 15) ? address : null; // ::1 and :: stay; ::a.b.c.d no
        }
        if ((b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
            return zero(b, 4, 12) ? ipv4(b) : null; // 64:ff9b::/96 judged by its IPv4; 64:ff9b:1::/48 refused
        }
        if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) {
            return null; // 6to4
        }
        if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x01 && b[2] == 0 && b[3] == 0) {
            return null; // Teredo
        }
        return address;
    }

    private static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress()
                || address.isLoopbackAddress()
                || address.isLinkLocalAddress()
                || address.isSiteLocalAddress()
                || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        int a0 = b[0] & 0xff;
        int a1 = b[1] & 0xff;
        if (address instanceof Inet4Address) {
            int a2 = b[2] & 0xff;
            return a0 != 0 // this network
                    && !(a0 == 100 && (a1 & 0xc0) == 64) // carrier-grade NAT 100.64/10
                    && !(a0 == 192 && a1 == 0 && a2 == 0) // IETF protocol assignments 192.0.0/24
                    && !(a0 == 192 && a1 == 0 && a2 == 2) // TEST-NET-1
                    && !(a0 == 198 && a1 == 51 && a2 == 100) // TEST-NET-2
                    && !(a0 == 203 && a1 == 0 && a2 == 113) // TEST-NET-3
                    && !(a0 == 198 && (a1 & 0xfe) == 18) // benchmarking 198.18/15
                    && a0 < 240; // reserved 240/4 and broadcast
        }
        return (a0 & 0xfe) != 0xfc // unique local fc00::/7
                && !(a0 == 0x20 && a1 == 0x01 && (b[2] & 0xff) == 0x0d && (b[3] & 0xff) == 0xb8) // 2001:db8::/32
                && !(a0 == 0x01 && a1 == 0 && zero(b, 2, 8)) // discard 100::/64
                && (a0 & 0xe0) == 0x20; // only global unicast 2000::/3 is routed on the internet
    }

    private static boolean zero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static InetAddress ipv4(byte[] b) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
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
        if (address.length != base.length || bits > address.length * 8) {
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
