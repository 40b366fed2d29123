package dev.transcriber.common.storage;

import io.minio.Digest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * AWS Signature V4 in the headers of the store's two calls on every job's path (an object's GET and its one-part PUT,
 * {@link ObjectStore}): the request's {@code Host}, {@code x-amz-content-sha256} and {@code x-amz-date} are signed, as
 * the MinIO client's own signer signs them (its {@code Accept-Encoding}, which it never signs, is sent unsigned).
 *
 * <p>The MinIO client's signer builds an OkHttp request, parses the date back from its header, sorts the headers in a
 * tree map and derives the signing key (four HMACs) for every request. Here the key is derived once a day, the date
 * written once a second, and a request costs one SHA-256 of its canonical form and one HMAC (a copy of a
 * {@link Mac} already keyed). Thread-safe: what is cached is immutable and replaced whole.
 */
final class HeaderSigner {

    private static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final String SIGNED_HEADERS = "host;x-amz-content-sha256;x-amz-date";
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private final String region;
    private final String accessKey;
    private final String secretKey;
    private final Clock clock;

    /** The date headers of the current second (written once a second, not once a request). */
    private volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "", "");

    /** The signing key of the current day, in a {@link Mac} keyed with it. */
    private volatile DayKey dayKey = new DayKey("", new byte[0], null, "");

    HeaderSigner(String region, String accessKey, String secretKey, Clock clock) {
        this.region = region;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.clock = clock;
    }

    /**
     * The headers that sign a request without a query string: {@code Host}, {@code x-amz-content-sha256}, {@code
     * x-amz-date} and {@code Authorization}, in that order.
     *
     * @param method the request's method, such as {@code GET}
     * @param host the {@code Host} header as sent ({@code host} or {@code host:port})
     * @param encodedPath the request's path as sent, already escaped
     * @param contentSha256 the body's SHA-256 in hex, or {@code UNSIGNED-PAYLOAD}
     */
    List<Map.Entry<String, String>> sign(String method, String host, String encodedPath, String contentSha256) {
        Stamp now = stampOf(clock.millis() / 1000);
        DayKey key = keyOf(now.day());
        String canonical = method + '\n' + encodedPath + "\n\n"
                + "host:" + host + '\n'
                + "x-amz-content-sha256:" + contentSha256 + '\n'
                + "x-amz-date:" + now.amzDate() + "\n\n"
                + SIGNED_HEADERS + '\n'
                + contentSha256;
        String toSign = ALGORITHM + '\n' + now.amzDate() + '\n' + key.scope() + '\n' + sha256Hex(canonical);
        String signature = HEX.formatHex(key.hmac(toSign));
        String authorization = ALGORITHM + " Credential=" + accessKey + '/' + key.scope() + ", SignedHeaders="
                + SIGNED_HEADERS + ", Signature=" + signature;
        return List.of(
                Map.entry("Host", host),
                Map.entry("x-amz-content-sha256", contentSha256),
                Map.entry("x-amz-date", now.amzDate()),
                Map.entry("Authorization", authorization));
    }

    private Stamp stampOf(long epochSecond) {
        Stamp current = stamp;
        if (current.epochSecond() != epochSecond) {
            String amzDate = AMZ_DATE.format(Instant.ofEpochSecond(epochSecond));
            current = new Stamp(epochSecond, amzDate, amzDate.substring(0, 8));
            stamp = current;
        }
        return current;
    }

    private DayKey keyOf(String day) {
        DayKey current = dayKey;
        if (!current.day().equals(day)) {
            byte[] signingKey = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), day);
            signingKey = hmac(signingKey, region);
            signingKey = hmac(signingKey, "s3");
            signingKey = hmac(signingKey, "aws4_request");
            current = new DayKey(day, signingKey, keyedMac(signingKey), day + '/' + region + "/s3/aws4_request");
            dayKey = current;
        }
        return current;
    }

    private static byte[] hmac(byte[] key, String data) {
        return keyedMac(key).doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static Mac keyedMac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    private static String sha256Hex(String text) {
        try {
            return Digest.sha256Hash(text);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A second's {@code x-amz-date} ({@code yyyyMMdd'T'HHmmss'Z'}) and its day ({@code yyyyMMdd}). */
    private record Stamp(long epochSecond, String amzDate, String day) {}

    /**
     * A day's signing key, kept in a keyed {@link Mac} that each request copies (a provider that cannot copy one gets
     * a new one keyed each time), and its credential scope.
     */
    private record DayKey(String day, byte[] key, Mac prototype, String scope) {

        byte[] hmac(String data) {
            Mac mac;
            try {
                mac = (Mac) prototype.clone(); // a Mac is not thread-safe; a copy of a keyed one skips its set-up
            } catch (CloneNotSupportedException e) {
                mac = keyedMac(key);
            }
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        }
    }
}
