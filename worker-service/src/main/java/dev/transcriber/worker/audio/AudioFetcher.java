package dev.transcriber.worker.audio;

import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * Fetches a job's {@code audio_url} into the object store, streamed, under a size cap and timeouts. Every address
 * is checked against the {@link AddressPolicy} after DNS resolution, and again on every redirect (followed here, at
 * most five, never by the HTTP client itself).
 */
@Component
public class AudioFetcher {

    private static final int MAX_REDIRECTS = 5;

    private final ObjectStore store;
    private final AddressPolicy addresses;
    private final long maxBytes;
    private final Duration timeout;
    private final HttpClient http;

    AudioFetcher(
            ObjectStore store,
            AddressPolicy addresses,
            @Value("${transcriber.audio.max-fetch-size:1GB}") DataSize maxSize,
            @Value("${transcriber.audio.fetch-timeout:30s}") Duration timeout) {
        this.store = store;
        this.addresses = addresses;
        this.maxBytes = maxSize.toBytes();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    /** What was stored, and the SHA-256 (hex) of its bytes. */
    public record Fetched(long sizeBytes, String contentType, String sha256) {}

    /** The fetch was refused or failed; the message names the problem and the URL's field. */
    public static class FetchFailed extends RuntimeException {
        FetchFailed(String message) {
            super(message);
        }
    }

    /** Throws {@link InvalidAudioException} naming the problem when the URL may not or cannot be fetched. */
    public Fetched fetch(String url, String objectKey) {
        try {
            return fetch(url, objectKey, maxBytes, "audio_url");
        } catch (FetchFailed e) {
            throw new InvalidAudioException(e.getMessage());
        }
    }

    /**
     * Fetches {@code url} (named {@code field} in messages) into {@code objectKey}, under the same address rules, at
     * most {@code cap} bytes. Throws {@link FetchFailed} naming the problem.
     */
    public Fetched fetch(String url, String objectKey, long cap, String field) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new FetchFailed("The " + field + " is not a URL: " + e.getMessage());
        }
        try {
            for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
                addresses.check(uri);
                HttpResponse<InputStream> response = http.send(
                        HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                int status = response.statusCode();
                if (status >= 300
                        && status < 400
                        && response.headers().firstValue("Location").isPresent()) {
                    response.body().close();
                    uri = uri.resolve(response.headers().firstValue("Location").get());
                    continue;
                }
                if (status != 200) {
                    response.body().close();
                    throw new FetchFailed("The " + field + " answered HTTP " + status + ".");
                }
                long declared =
                        response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (declared > cap) {
                    response.body().close();
                    throw tooLarge(field, cap);
                }
                String type = response.headers().firstValue("Content-Type").orElse("application/octet-stream");
                CountingInputStream body = CountingInputStream.capped(response.body(), cap);
                try (body) {
                    store.put(objectKey, body, declared, type);
                } catch (RuntimeException e) {
                    if (body.overCap()) {
                        throw tooLarge(field, cap);
                    }
                    throw e;
                }
                if (body.count() == 0) {
                    throw new FetchFailed("The " + field + " gave an empty file.");
                }
                return new Fetched(body.count(), type, body.sha256());
            }
            throw new FetchFailed("The " + field + " redirected more than " + MAX_REDIRECTS + " times.");
        } catch (DisallowedAddressException e) {
            throw new FetchFailed("The " + field + " is not allowed: " + e.getMessage() + ".");
        } catch (IOException e) {
            throw new FetchFailed("The " + field + " could not be fetched: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching audio", e);
        }
    }

    private static FetchFailed tooLarge(String field, long cap) {
        return new FetchFailed("The " + field + "'s file is larger than the limit of " + cap + " bytes.");
    }
}
