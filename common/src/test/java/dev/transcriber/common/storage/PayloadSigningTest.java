package dev.transcriber.common.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** An upload's signature covers its body except where the link protects the body already, unless told always. */
class PayloadSigningTest {

    @Test
    void theBodyIsLeftOutOfTheSignatureOnlyOverTlsOrThisMachinesLoopback() {
        assertThat(signs("https://minio.internal:9000")).as("TLS").isFalse();
        assertThat(signs("https://s3.eu-west-1.amazonaws.com")).as("TLS").isFalse();
        assertThat(signs("http://127.0.0.1:19000")).as("loopback").isFalse();
        assertThat(signs("http://127.3.0.9:19000")).as("loopback").isFalse();
        assertThat(signs("http://localhost:19000")).as("loopback").isFalse();
        assertThat(signs("http://LOCALHOST:19000")).as("loopback").isFalse();
        assertThat(signs("http://[::1]:19000")).as("loopback").isFalse();

        assertThat(signs("http://minio:9000"))
                .as("plain HTTP to another machine")
                .isTrue();
        assertThat(signs("http://10.0.0.5:9000")).isTrue();
        assertThat(signs("http://127.0.0.1.example.com:9000"))
                .as("a name, not the loopback")
                .isTrue();
        assertThat(signs("http://localhost.example.com:9000")).isTrue();
        assertThat(signs("http://[::2]:9000")).isTrue();
        assertThat(signs("http://127.999.0.1:9000"))
                .as("a name, not an address literal")
                .isTrue();
        assertThat(signs("http://127.0.1:9000")).isTrue();
        assertThat(signs("minio:9000")).as("not a URL: signed").isTrue();
    }

    @Test
    void alwaysSignsEverywhere() {
        for (String endpoint : new String[] {"https://minio.internal:9000", "http://127.0.0.1:19000"}) {
            assertThat(ObjectStore.signsPayloads(properties(endpoint, StorageProperties.PayloadSigning.ALWAYS)))
                    .as(endpoint)
                    .isTrue();
        }
    }

    private static boolean signs(String endpoint) {
        return ObjectStore.signsPayloads(properties(endpoint, StorageProperties.PayloadSigning.AUTO));
    }

    private static StorageProperties properties(String endpoint, StorageProperties.PayloadSigning signing) {
        return new StorageProperties(
                endpoint,
                "a",
                "b",
                "bucket",
                "us-east-1",
                DataSize.ofMegabytes(8),
                "",
                Duration.ofMinutes(5),
                signing,
                null,
                Duration.ofSeconds(10));
    }
}
