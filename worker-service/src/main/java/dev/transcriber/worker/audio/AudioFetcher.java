package dev.transcriber.worker.audio;

import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import dev.transcriber.common.net.OutboundHttp;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.time.Duration;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * Fetches a job's {@code audio_url} (and a batch's feed) into the object store, streamed, under a size cap. Every
 * address is checked against the {@link AddressPolicy} when it is resolved, and the connection goes to the address
 * checked ({@link OutboundHttp}); redirects are followed here (at most five), each hop checked again. A fetch gives up
 * when nothing arrives for {@code transcriber.audio.fetch-timeout} and, whatever the origin's pace, once the whole
 * transfer has taken {@code transcriber.audio.fetch-deadline}. The object is stored as {@code
 * application/octet-stream}: the origin's Content-Type is not ours to keep (libavformat would take a playlist type
 * as a hint).
 */
@Component
public class AudioFetcher {

    private static final int MAX_REDIRECTS = 5;

    private final ObjectStore store;
    private final AddressPolicy addresses;
    private final long maxBytes;
    private final Duration deadline;
    private final OkHttpClient http;

    AudioFetcher(
            ObjectStore store,
            AddressPolicy addresses,
            @Value("${transcriber.audio.max-fetch-size:1GB}") DataSize maxSize,
            @Value("${transcriber.audio.fetch-timeout:30s}") Duration timeout,
            @Value("${transcriber.audio.fetch-deadline:10m}") Duration deadline) {
        this.store = store;
        this.addresses = addresses;
        this.maxBytes = maxSize.toBytes();
        this.deadline = deadline;
        this.http = OutboundHttp.client(addresses, timeout, timeout, deadline);
    }

    /** What was stored, and the SHA-256 (hex) of its bytes. */
    public record Fetched(long sizeBytes, String contentType, String sha256) {}

    /**
     * The fetch was refused or failed; the message names the problem and the URL's field. A transient failure (the
     * origin unreachable, a connection cut, an origin 5xx, 429 or 408) may go away when tried again; any other is the
     * URL's own.
     */
    public static class FetchFailed extends RuntimeException {
        private final boolean transientFailure;

        FetchFailed(String message) {
            this(message, false);
        }

        FetchFailed(String message, boolean transientFailure) {
            super(message);
            this.transientFailure = transientFailure;
        }

        public boolean isTransient() {
            return transientFailure;
        }
    }

    /**
     * Throws {@link InvalidAudioException} naming the problem when the URL may not or cannot be fetched, or {@link
     * AudioSourceUnavailableException} when the failure may go away (the job tries again later).
     */
    public Fetched fetch(String url, String objectKey) {
        try {
            return fetch(url, objectKey, maxBytes, "audio_url");
        } catch (FetchFailed e) {
            if (e.isTransient()) {
                throw new AudioSourceUnavailableException(e.getMessage());
            }
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
                HttpUrl target = HttpUrl.get(uri);
                if (target == null) {
                    throw new FetchFailed("The " + field + " is not an http(s) URL.");
                }
                try (Response response = http.newCall(
                                new Request.Builder().url(target).get().build())
                        .execute()) {
                    int status = response.code();
                    String location = response.header("Location");
                    if (status >= 300 && status < 400 && location != null) {
                        uri = redirected(uri, location, field);
                        continue;
                    }
                    if (status != 200) {
                        throw new FetchFailed(
                                "The " + field + " answered HTTP " + status + ".",
                                status >= 500 || status == 429 || status == 408);
                    }
                    ResponseBody responseBody = response.body();
                    long declared = responseBody.contentLength();
                    if (declared > cap) {
                        throw tooLarge(field, cap);
                    }
                    String type = response.header("Content-Type", "application/octet-stream");
                    CountingInputStream body = CountingInputStream.capped(responseBody.byteStream(), cap);
                    try (body) {
                        store.put(objectKey, body, declared, null);
                    } catch (RuntimeException e) {
                        if (body.overCap()) {
                            throw tooLarge(field, cap);
                        }
                        if (body.readFailure() != null) {
                            throw body.readFailure();
                        }
                        throw e;
                    }
                    if (body.count() == 0) {
                        throw new FetchFailed("The " + field + " gave an empty file.");
                    }
                    return new Fetched(body.count(), type, body.sha256());
                }
            }
            throw new FetchFailed("The " + field + " redirected more than " + MAX_REDIRECTS + " times.");
        } catch (DisallowedAddressException e) {
            throw new FetchFailed("The " + field + " is not allowed: " + e.getMessage() + ".");
        } catch (InterruptedIOException e) {
            throw new FetchFailed("The " + field + " could not be fetched within " + deadline.toSeconds()
                    + " seconds (or stopped sending).");
        } catch (IOException e) {
            throw new FetchFailed("The " + field + " could not be fetched: " + e.getMessage(), true);
        }
    }

    /** Where a redirect leads; a refusal when its {@code Location} is no URL (the origin's fault, not ours). */
    private static URI redirected(URI from, String location, String field) {
        try {
            return from.resolve(location);
        } catch (IllegalArgumentException e) {
            throw new FetchFailed("The " + field + " redirected to what is not a URL: " + e.getMessage());
        }
    }

    private static FetchFailed tooLarge(String field, long cap) {
        return new FetchFailed("The " + field + "'s file is larger than the limit of " + cap + " bytes.");
    }
}
