package dev.transcriber.worker.webhooks;

import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import dev.transcriber.common.net.OutboundHttp;
import dev.transcriber.common.store.StoredText;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * Sends one webhook attempt: the POST, its status and {@code Retry-After}, or why it could not be sent. The
 * connection goes to the address the {@link AddressPolicy} checked ({@link OutboundHttp}), and the whole attempt,
 * the receiver's answer included, ends after {@code transcriber.webhooks.timeout}: a receiver that answers a byte a
 * second holds a sender no longer than that, and never holds up other deliveries (each has a virtual thread).
 */
final class WebhookPoster {

    /**
     * What an attempt came to: the status (null when none came), an error (null on 2xx), and the raw {@code
     * Retry-After} header if any. The error, which may quote the receiver (a malformed status line, in full), is kept
     * fit for the delivery's row: with a NUL in it the attempt could not be recorded and was made again forever.
     */
    record Outcome(Integer status, String error, String retryAfter) {
        Outcome {
            error = StoredText.message(error);
        }
    }

    private static final MediaType JSON = MediaType.get("application/json");

    private final AddressPolicy addresses;
    private final Duration timeout;
    private final OkHttpClient http;

    WebhookPoster(AddressPolicy addresses, Duration timeout) {
        this.addresses = addresses;
        this.timeout = timeout;
        this.http = OutboundHttp.client(addresses, timeout, timeout, timeout);
    }

    Outcome post(String url, Map<String, String> headers, String payload) {
        try {
            URI uri = URI.create(url);
            addresses.check(uri);
            HttpUrl target = HttpUrl.get(uri);
            if (target == null) {
                return new Outcome(null, "could not deliver: not an http(s) URL", null);
            }
            Request.Builder request = new Request.Builder().url(target);
            headers.forEach(request::header);
            try (Response response = http.newCall(
                            request.post(RequestBody.create(payload, JSON)).build())
                    .execute()) {
                response.body()
                        .byteStream()
                        .readNBytes(64 * 1024); // the answer is not used; read (within the deadline)
                int status = response.code();
                return new Outcome(
                        status,
                        status < 200 || status >= 300 ? "HTTP " + status : null,
                        response.header("Retry-After"));
            }
        } catch (DisallowedAddressException e) {
            return new Outcome(null, "address not allowed: " + e.getMessage(), null);
        } catch (InterruptedIOException e) {
            return new Outcome(
                    null, "could not deliver: no complete answer within " + timeout.toMillis() + " ms", null);
        } catch (IOException | IllegalArgumentException e) {
            return new Outcome(null, "could not deliver: " + e, null);
        }
    }
}
