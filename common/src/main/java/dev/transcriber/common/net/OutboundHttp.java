package dev.transcriber.common.net;

import java.net.InetAddress;
import java.net.Proxy;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import okhttp3.Dns;
import okhttp3.OkHttpClient;

/**
 * The HTTP client for URLs a caller names ({@code audio_url}, feeds, enclosures, {@code webhook_url}). OkHttp rather
 * than the JDK's client for two reasons. Its DNS hook lets the {@link AddressPolicy} resolve each host once and hand
 * over exactly the addresses it judged, so the address checked is the address connected to (no second lookup that a
 * rebinding name could answer differently), while the URL keeps its host name: the Host header, TLS SNI and the
 * certificate check stay those of the name. And its call timeout is a deadline on the whole exchange, connecting,
 * sending, waiting and reading the whole body, where {@code java.net.http.HttpRequest.timeout} stops counting once the
 * headers are in (a server sending a byte a second would hold the caller for ever). No proxy (the lookup must be
 * ours) and no redirects (callers follow them themselves, checking each hop); a failed connection moves on to the
 * host's next judged address, within the same deadline.
 */
public final class OutboundHttp {

    private OutboundHttp() {}

    /**
     * A client that connects only to addresses {@code policy} allows, gives up connecting after {@code connectTimeout}
     * or when no byte arrives for {@code idleTimeout}, and ends every call after {@code deadline} in all.
     */
    public static OkHttpClient client(
            AddressPolicy policy, Duration connectTimeout, Duration idleTimeout, Duration deadline) {
        return new OkHttpClient.Builder()
                .dns(new PolicyDns(policy))
                .proxy(Proxy.NO_PROXY)
                .followRedirects(false)
                .followSslRedirects(false)
                .connectTimeout(connectTimeout)
                .readTimeout(idleTimeout)
                .writeTimeout(idleTimeout)
                .callTimeout(deadline)
                .build();
    }

    /** Answers the addresses the policy judged for a host, and nothing for a host it refuses. */
    private record PolicyDns(AddressPolicy policy) implements Dns {
        @Override
        public List<InetAddress> lookup(String hostname) throws UnknownHostException {
            return policy.resolve(hostname);
        }
    }
}
