package dev.transcriber.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.worker.audio.AudioOpener;
import dev.transcriber.worker.audio.OpenedAudio;
import dev.transcriber.worker.support.S3Server;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A sync request's audio, named in its job's event, is opened while the job is claimed; the run takes it only for that
 * object, and whatever it does not take is closed. Against a real S3 server.
 */
class OpenAheadTest {

    private static final byte[] AUDIO = "RIFF and some bytes that stand for audio".getBytes();

    private static S3Server s3;
    private static AudioOpener opener;
    private static JobExecution execution;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        s3.store().put("audio", new ByteArrayInputStream(AUDIO), AUDIO.length, "audio/wav");
        opener = new AudioOpener(s3.store());
        execution = new JobExecution(
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                opener,
                null,
                null,
                null,
                new StageTimers(new SimpleMeterRegistry()),
                null,
                null);
    }

    @AfterAll
    static void stop() throws Exception {
        opener.stop();
        s3.close();
    }

    @Test
    void theRunTakesTheAudioOpenedAheadForItsOwnObject() throws IOException {
        JobExecution.Ahead ahead = execution.openAhead("audio");

        OpenedAudio opened = ahead.take("audio").orElseThrow();
        try (InputStream whole = opened.stream()) {
            assertThat(whole.readAllBytes()).isEqualTo(AUDIO);
        }
        ahead.discard();
        assertThatThrownBy(opened::stream).as("closed once the run is over").isInstanceOf(IllegalStateException.class);
    }

    @Test
    void audioOpenedAheadForAnotherObjectIsNotTakenAndIsClosed() {
        JobExecution.Ahead ahead = execution.openAhead("audio");

        assertThat(ahead.take("another-object")).isEmpty();
        OpenedAudio opened = ahead.take("audio").orElseThrow(); // the same open, looked at from here
        Awaitility.await()
                .atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThatThrownBy(opened::stream).isInstanceOf(IllegalStateException.class));
    }

    @Test
    void anOpenThatFailedLeavesTheRunToOpenTheObjectItselfAndNoKeyOpensNothing() {
        assertThat(execution.openAhead("missing").take("missing"))
                .as("the store's refusal is the run's own open's to report")
                .isEmpty();
        assertThat(execution.openAhead(null)).isSameAs(JobExecution.Ahead.NONE);
        assertThat(JobExecution.Ahead.NONE.take("audio")).isEmpty();
    }
}
