package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.worker.support.S3Server;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audio a job sends in one call is read from the store once: the stream its head was read from goes to the first
 * reader while it is fresh; a timer closes it after that, and any other read opens the object again. Against a real
 * S3 server, its opens counted.
 */
class OpenedAudioTest {

    private static S3Server s3;
    private static final byte[] AUDIO = new byte[3 * WavHeader.HEAD_BYTES + 123];

    private final List<Opened> opened = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3Server();
        for (int i = 0; i < AUDIO.length; i++) {
            AUDIO[i] = (byte) (i * 31);
        }
        s3.store().put("audio", new ByteArrayInputStream(AUDIO), AUDIO.length, "audio/wav");
        s3.store().put("short", new ByteArrayInputStream(new byte[] {1, 2, 3}), 3, "audio/wav");
    }

    @AfterAll
    static void stop() throws Exception {
        s3.close();
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private OpenedAudio open(String key, Duration freshFor) {
        return OpenedAudio.open(opener, key, timer, freshFor);
    }

    /** The store's open, each stream it gave kept to see whether it was closed. */
    private final Function<String, InputStream> opener = key -> {
        Opened stream = new Opened(s3.store().open(key));
        opened.add(stream);
        return stream;
    };

    @Test
    void theFirstReaderGetsTheStreamTheHeadCameFromAndALaterOneOpensTheObjectAgain() throws IOException {
        try (OpenedAudio audio = open("audio", Duration.ofMinutes(1))) {
            assertThat(audio.head()).isEqualTo(Arrays.copyOf(AUDIO, WavHeader.HEAD_BYTES));
            assertThat(opened).hasSize(1);

            try (InputStream first = audio.stream()) {
                assertThat(first.readAllBytes()).isEqualTo(AUDIO);
            }
            assertThat(opened).as("the head and the first reader: one open").hasSize(1);

            try (InputStream retry = audio.stream()) {
                assertThat(retry.readAllBytes()).isEqualTo(AUDIO);
            }
            assertThat(opened).as("the next attempt opens the object again").hasSize(2);
        }
    }

    @Test
    void aStreamNobodyTookWhileFreshIsClosedAndTheObjectOpenedAgainWhenAsked() throws IOException {
        try (OpenedAudio audio = open("audio", Duration.ofMillis(50))) {
            // the call waits for an account's capacity: the store's response is not held open meanwhile
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> opened.getFirst().closed);

            try (InputStream late = audio.stream()) {
                assertThat(late.readAllBytes()).isEqualTo(AUDIO);
            }
            assertThat(opened).hasSize(2);
        }
    }

    @Test
    void anObjectShorterThanTheHeadIsItsOwnHeadAndStillReadWhole() throws IOException {
        try (OpenedAudio audio = open("short", Duration.ofMinutes(1));
                InputStream whole = audio.stream()) {
            assertThat(audio.head()).containsExactly(1, 2, 3);
            assertThat(whole.readAllBytes()).containsExactly(1, 2, 3);
        }
        assertThat(opened).hasSize(1);
    }

    @Test
    void closingWithoutReadingClosesTheStreamAndGivesNoStreamAfter() {
        OpenedAudio audio = open("audio", Duration.ofMinutes(1));
        audio.close();

        assertThat(opened.getFirst().closed).isTrue();
        assertThatThrownBy(audio::stream).isInstanceOf(IllegalStateException.class);
        assertThat(opened).as("nothing opened after the close").hasSize(1);
    }

    @Test
    void aMissingObjectOrAHeadThatCannotBeReadIsAStoreFailureAndLeavesNothingOpen() {
        assertThatThrownBy(() -> open("missing", Duration.ofMinutes(1))).isInstanceOf(ObjectStoreException.class);

        Opened[] failing = new Opened[1];
        Function<String, InputStream> resetMidHead = key -> {
            failing[0] = new Opened(new InputStream() {
                @Override
                public int read() throws IOException {
                    throw new IOException("connection reset by the store");
                }
            });
            return failing[0];
        };
        assertThatThrownBy(() -> OpenedAudio.open(resetMidHead, "audio", timer, Duration.ofMinutes(1)))
                .isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("connection reset by the store");
        assertThat(failing[0].closed).isTrue();
    }

    @Test
    void anOpenTheTimerRefusesAtShutdownLeavesNothingOpen() {
        ScheduledExecutorService stopped = Executors.newSingleThreadScheduledExecutor();
        stopped.shutdown(); // the worker closing while a job still opens its audio

        assertThatThrownBy(() -> OpenedAudio.open(opener, "audio", stopped, Duration.ofMinutes(1)))
                .isInstanceOf(RejectedExecutionException.class);
        assertThat(opened).hasSize(1);
        assertThat(opened.getFirst().closed).as("the stream the head came from").isTrue();
    }

    @Test
    void audioOpenedEarlyIsTakenByTheRunOfItsObjectAndClosedUnreadForAnyOther() throws IOException {
        java.util.concurrent.ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (executor) {
            try (EarlyOpen early = EarlyOpen.start("audio", key -> open(key, Duration.ofMinutes(1)), executor)) {
                OpenedAudio taken = early.take("audio").orElseThrow();
                assertThat(early.take("audio")).as("taken once").isEmpty();
                try (taken;
                        InputStream whole = taken.stream()) {
                    assertThat(whole.readAllBytes()).isEqualTo(AUDIO);
                }
            }
            assertThat(opened).as("the early open's stream is the run's").hasSize(1);

            try (EarlyOpen early = EarlyOpen.start("audio", key -> open(key, Duration.ofMinutes(1)), executor)) {
                assertThat(early.take("pieces/0"))
                        .as("a job whose audio is another object")
                        .isEmpty();
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> opened.size() == 2 && opened.get(1).closed);

            java.util.concurrent.CountDownLatch storeAnswers = new java.util.concurrent.CountDownLatch(1);
            EarlyOpen slow = EarlyOpen.start(
                    "audio",
                    key -> {
                        try {
                            storeAnswers.await();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                        return open(key, Duration.ofMinutes(1));
                    },
                    executor);
            slow.close(); // the job was not claimed: nothing takes it
            storeAnswers.countDown();
            Awaitility.await("closed once it is open")
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> opened.size() == 3 && opened.get(2).closed);
        }
    }

    @Test
    void anEarlyOpenThatFailedGivesTheRunNothingAndTheRunOpensItselfOrOneRefusedAtShutdownIsNone() {
        java.util.concurrent.ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try (executor;
                EarlyOpen early = EarlyOpen.start("missing", key -> open(key, Duration.ofMinutes(1)), executor)) {
            assertThat(early.take("missing")).isEmpty();
        }
        assertThat(EarlyOpen.start("audio", key -> open(key, Duration.ofMinutes(1)), executor))
                .isSameAs(EarlyOpen.NONE);
        assertThat(opened).isEmpty();
    }

    private static final class Opened extends FilterInputStream {

        volatile boolean closed;

        Opened(InputStream in) {
            super(in);
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }
    }
}
