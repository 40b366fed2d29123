package dev.transcriber.common.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class NoDelaySocketFactoryTest {

    private final NoDelaySocketFactory factory = new NoDelaySocketFactory(Duration.ofSeconds(7));

    @Test
    void aSocketForOkHttpNeverWaitsForEverOnARead() throws Exception {
        try (Socket socket = factory.createSocket()) {
            assertThat(socket.getTcpNoDelay()).isTrue();
            assertThat(socket.getSoTimeout()).isEqualTo(7_000);
            socket.setSoTimeout(0); // what OkHttp does for a client without a read timeout of its own
            assertThat(socket.getSoTimeout()).isEqualTo(7_000);
            socket.setSoTimeout(1_234);
            assertThat(socket.getSoTimeout()).isEqualTo(1_234);
        }
    }
}
