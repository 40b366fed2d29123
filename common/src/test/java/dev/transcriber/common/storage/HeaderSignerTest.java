package dev.transcriber.common.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.minio.MinioClient;
import io.minio.S3Escaper;
import io.minio.Signer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.HttpUrl;
import okhttp3.Request;
import okhttp3.RequestBody;
import org.junit.jupiter.api.Test;

/**
 * The store's own signer against the MinIO client's ({@link Signer#signV4S3}), which every S3 server this project
 * runs against accepts: the same request, signed at the same second, gets the same {@code Authorization}.
 */
class HeaderSignerTest {

    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-06T13:45:07.250Z"));

    @Test
    void signsAsTheMinioClientDoes() throws Exception {
        Keys keys = new Keys("us-east-1", "transcriber", "s3cr3t/with+chars=");
        HeaderSigner signer = keys.signer(clock);

        for (String method : List.of("GET", "PUT")) {
            for (String sha : List.of(EMPTY_SHA256, UNSIGNED)) {
                for (String path : List.of("/audio/jobs/0b7c/source", "/audio/a%20b/%C3%A9t%C3%A9%2Bx", "/k")) {
                    assertSameSignature(signer, keys, method, "127.0.0.1:9000", path, sha);
                }
            }
        }
        Keys aws = new Keys("eu-west-2", "AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG");
        assertSameSignature(aws.signer(clock), aws, "GET", "audio.s3.eu-west-2.amazonaws.com", "/jobs/x", UNSIGNED);
    }

    @Test
    void aNewSecondAndANewDayAreSignedWithTheirOwnDateAndKey() throws Exception {
        Keys keys = new Keys("us-east-1", "transcriber", "secret");
        HeaderSigner signer = keys.signer(clock);
        String first = header(signer.sign("GET", "h:1", "/b/k", UNSIGNED), "x-amz-date");

        clock.set(Instant.parse("2026-12-06T13:45:08Z"));
        assertThat(header(signer.sign("GET", "h:1", "/b/k", UNSIGNED), "x-amz-date"))
                .isEqualTo("20261206T134508Z")
                .isNotEqualTo(first);
        assertSameSignature(signer, keys, "GET", "h:1", "/b/k", UNSIGNED);

        clock.set(Instant.parse("2026-12-07T00:00:00Z")); // the day's key and scope change at midnight UTC
        List<Map.Entry<String, String>> nextDay = signer.sign("GET", "h:1", "/b/k", UNSIGNED);
        assertThat(header(nextDay, "Authorization")).contains("/20261207/us-east-1/s3/aws4_request");
        assertSameSignature(signer, keys, "GET", "h:1", "/b/k", UNSIGNED);
    }

    @Test
    void anObjectsPathIsTheOneTheMinioClientWouldUseAndADotSegmentIsRefused() {
        for (String endpoint : List.of("http://127.0.0.1:9000", "https://s3.eu-west-2.amazonaws.com")) {
            MinioClient client = MinioClient.builder()
                    .endpoint(endpoint)
                    .credentials("a", "b")
                    .region("eu-west-2")
                    .build();
            ObjectStore.ObjectPaths paths = ObjectStore.ObjectPaths.of(client, "audio");
            for (String key : List.of("jobs/0b7c/source", "a b/été+x*~", "uploads/claimed/u/j", "a/.b/c..", "%2e")) {
                HttpUrl url = paths.base()
                        .newBuilder()
                        .encodedPath(paths.prefix() + S3Escaper.encodePath(key))
                        .build();
                assertThat(paths.path(key)).as(key).isEqualTo(url.encodedPath());
            }
            // OkHttp would resolve these (path style: "../other/k" is another bucket's object); MinIO refuses them
            for (String key : List.of("a/../b", "./x", "a/./b/..", "..", "../other/k", "")) {
                assertThatThrownBy(() -> paths.path(key)).as(key).isInstanceOf(IllegalArgumentException.class);
            }
        }
    }

    /** Signs with both signers at the clock's second and compares every signed header and the authorization. */
    private void assertSameSignature(
            HeaderSigner signer, Keys keys, String method, String host, String path, String sha) throws Exception {
        List<Map.Entry<String, String>> headers = signer.sign(method, host, path, sha);
        String amzDate = header(headers, "x-amz-date");
        assertThat(amzDate)
                .isEqualTo(Instant.ofEpochSecond(clock.instant().getEpochSecond())
                        .atZone(ZoneOffset.UTC)
                        .format(io.minio.Time.AMZ_DATE_FORMAT));
        Request request = new Request.Builder()
                .url("http://" + host + path)
                .method(method, method.equals("PUT") ? RequestBody.create(new byte[0]) : null)
                .header("Host", host)
                .header("Accept-Encoding", "identity")
                .header("x-amz-content-sha256", sha)
                .header("x-amz-date", amzDate)
                .build();
        Request minio = Signer.signV4S3(request, keys.region(), keys.accessKey(), keys.secretKey(), sha);
        assertThat(header(headers, "Authorization")).isEqualTo(minio.header("Authorization"));
        assertThat(header(headers, "Host")).isEqualTo(host);
        assertThat(header(headers, "x-amz-content-sha256")).isEqualTo(sha);
    }

    private record Keys(String region, String accessKey, String secretKey) {

        HeaderSigner signer(Clock clock) {
            return new HeaderSigner(region, accessKey, secretKey, clock);
        }
    }

    private static String header(List<Map.Entry<String, String>> headers, String name) {
        return headers.stream()
                .filter(h -> h.getKey().equals(name))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + headers));
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {

        private final AtomicReference<Instant> now;

        MovableClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        void set(Instant instant) {
            now.set(instant);
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
