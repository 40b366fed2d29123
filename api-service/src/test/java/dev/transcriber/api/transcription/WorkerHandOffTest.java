package dev.transcriber.api.transcription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.common.web.InternalToken;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** The hand-off's settings: on only with a worker and the internal token, and a worker URL of one form only. */
class WorkerHandOffTest {

    private static final InternalToken TOKEN = new InternalToken("internal-7d1e9b3a5c0f42e68b1d9a7c3e5f0b2d4a6c8e1f");
    private static final ApiProperties API = new ApiProperties(
            DataSize.ofGigabytes(1),
            Duration.ofMinutes(30),
            Duration.ofSeconds(2),
            List.of(),
            "",
            3000,
            DataSize.ofMegabytes(1),
            DataSize.ofMegabytes(32),
            2000,
            Duration.ofSeconds(30),
            DataSize.ofMegabytes(3),
            4,
            Duration.ofSeconds(2));

    @Test
    void itIsOnWithAWorkerAndTheInternalTokenOnly() {
        assertThat(handOff("http://worker-interactive:8081", TOKEN).enabled()).isTrue();
        assertThat(handOff("https://worker:8443/", TOKEN).enabled()).isTrue();
        assertThat(handOff(null, TOKEN).enabled()).isFalse();
        assertThat(handOff("", TOKEN).enabled()).isFalse();
        assertThat(handOff("http://worker:8081", new InternalToken("")).enabled())
                .isFalse();
    }

    @Test
    void aWorkerUrlOfAnotherFormStopsTheStart() {
        for (String url : new String[] {
            "worker:8081",
            "ftp://worker:21",
            "http:///x",
            "http://worker:8081/base",
            "http://worker:8081?x=1",
            "http://user:secret@worker:8081"
        }) {
            assertThatThrownBy(() -> handOff(url, TOKEN))
                    .as(url)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("transcriber.api.hand-off.worker");
        }
    }

    @Test
    void audioIsCarriedUpToWhatAWorkerTakesAtMost() {
        assertThatThrownBy(() -> new HandOffProperties(
                        null, Duration.ofSeconds(1), DataSize.ofBytes(1024 * 1024 + 1), DataSize.ofMegabytes(32)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("carry-audio-up-to");
        assertThatThrownBy(() -> new HandOffProperties(
                        null, Duration.ofSeconds(1), DataSize.ofMegabytes(1), DataSize.ofKilobytes(63)))
                .as("too little memory to carry anything")
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("carry-memory");
        assertThat(new HandOffProperties(null, Duration.ofSeconds(1), DataSize.ofBytes(0), DataSize.ofBytes(0))
                        .carryAudioUpTo()
                        .toBytes())
                .isZero();
    }

    private static WorkerHandOff handOff(String worker, InternalToken token) {
        WorkerHandOff handOff = new WorkerHandOff(
                new HandOffProperties(
                        worker == null ? null : URI.create(worker),
                        Duration.ofSeconds(1),
                        DataSize.ofMegabytes(1),
                        DataSize.ofMegabytes(32)),
                token,
                API,
                null,
                null,
                null,
                new SimpleMeterRegistry());
        handOff.close();
        return handOff;
    }
}
