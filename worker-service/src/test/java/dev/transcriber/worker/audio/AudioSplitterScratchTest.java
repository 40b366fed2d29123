package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.worker.support.S3Server;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Long audio is decoded into a scratch file in {@code transcriber.chunking.scratch-dir} (k8s gives the worker a
 * read-only root with an emptyDir for it), created if missing, and the file is gone when the cut ends. A cut that is
 * interrupted interrupts the recording of its pieces rather than waiting for it.
 */
class AudioSplitterScratchTest {

    private final NativeThreads threads = new NativeThreads(2);
    private S3Server s3;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Server();
    }

    @AfterEach
    void stop() throws Exception {
        s3.close();
        threads.stop();
    }

    @Test
    void theScratchFileGoesInTheConfiguredFolderAndIsRemovedAfter(@TempDir Path parent) throws Exception {
        Path scratch = parent.resolve("scratch");
        JobId job = new JobId(UUID.randomUUID());
        String source = stored(job, 4);
        AudioSplitter splitter = splitter(scratch.toString());

        List<String> created = new ArrayList<>();
        AudioSplitter.Split split;
        try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
            Files.createDirectories(scratch);
            scratch.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            split = splitter.split(
                    job, s3.store().presignedGet(source, Duration.ofMinutes(1)), 4.0, null, 25_000_000L, piece -> {});
            WatchKey key = watcher.poll(5, TimeUnit.SECONDS);
            assertThat(key).as("a file was made in the scratch folder").isNotNull();
            for (WatchEvent<?> event : key.pollEvents()) {
                created.add(event.context().toString());
            }
        }

        assertThat(split.pieces()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(created)
                .singleElement()
                .satisfies(name ->
                        assertThat(name).startsWith("transcriber-" + job).endsWith(".pcm"));
        try (var left = Files.list(scratch)) {
            assertThat(left).as("nothing left in the scratch folder").isEmpty();
        }
    }

    @Test
    void aMissingScratchFolderIsCreated(@TempDir Path parent) throws Exception {
        Path scratch = parent.resolve("a/b");
        JobId job = new JobId(UUID.randomUUID());
        String source = stored(job, 2);
        AudioSplitter splitter = splitter(scratch.toString());

        splitter.split(job, s3.store().presignedGet(source, Duration.ofMinutes(1)), 2.0, null, 25_000_000L, p -> {});

        assertThat(scratch).isEmptyDirectory();
    }

    @Test
    void aCutInterruptedWhileItsPiecesAreRecordedInterruptsTheirRecordingInsteadOfWaitingForIt(@TempDir Path parent)
            throws Exception {
        JobId job = new JobId(UUID.randomUUID());
        String source = stored(job, 4);
        AudioSplitter splitter = splitter(parent.toString());
        CountDownLatch recording = new CountDownLatch(1);
        AtomicBoolean recordingInterrupted = new AtomicBoolean();
        Thread run = Thread.ofVirtual().start(() -> {
            try {
                splitter.split(
                        job, s3.store().presignedGet(source, Duration.ofMinutes(1)), 4.0, null, 25_000_000L, piece -> {
                            recording.countDown();
                            try {
                                // a write that waits for the database until it is interrupted, as ResultWrites does
                                new CountDownLatch(1).await();
                            } catch (InterruptedException e) {
                                recordingInterrupted.set(true);
                                throw new IllegalStateException(e);
                            }
                        });
            } catch (RuntimeException expected) {
                // the cut ends with the interrupt
            }
        });
        assertThat(recording.await(10, TimeUnit.SECONDS)).isTrue();

        run.interrupt(); // the job is given up (the worker stops)

        assertThat(run.join(Duration.ofSeconds(10))).as("the cut ended").isTrue();
        assertThat(recordingInterrupted).isTrue();
    }

    /** {@code seconds} of tone stored as {@code job}'s audio; its key. */
    private String stored(JobId job, int seconds) {
        String source = ObjectKeys.sourceAudio(job);
        byte[] audio = wav(seconds);
        s3.store().put(source, new ByteArrayInputStream(audio), audio.length, "audio/wav");
        return source;
    }

    /** A splitter that cuts audio over a second into two pieces, with its scratch files in {@code scratch}. */
    private AudioSplitter splitter(String scratch) {
        return new AudioSplitter(
                new AudioDecoder(Duration.ofSeconds(5), threads),
                s3.store(),
                new ChunkingProperties(
                        2,
                        Duration.ofSeconds(1),
                        Duration.ZERO,
                        Duration.ofMillis(500),
                        -35,
                        Duration.ofMillis(400),
                        scratch));
    }

    private static byte[] wav(int seconds) {
        int samples = seconds * 16_000;
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2);
        b.put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII))
                .putInt(16)
                .putShort((short) 1)
                .putShort((short) 1);
        b.putInt(16_000).putInt(32_000).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) (1000 * Math.sin(i * 2 * Math.PI * 440 / 16_000)));
        }
        return b.array();
    }
}
