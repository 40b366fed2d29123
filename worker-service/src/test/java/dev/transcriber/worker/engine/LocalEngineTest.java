package dev.transcriber.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.worker.accounts.UpstreamAccount;
import dev.transcriber.worker.accounts.UpstreamCall;
import dev.transcriber.worker.accounts.UpstreamException;
import dev.transcriber.worker.audio.Ffmpeg;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The offline engine on speech whose words are known: espeak-ng (installed by .ci/run) speaks sentences, the engine
 * transcribes them, and the word error rate must stay under {@link #MAX_WER}.
 */
class LocalEngineTest {

    /**
     * Measured 2026-11-25 on these sentences (espeak-ng 1.51 at 130 words/min, the small en-us model): 0.38 (19 errors
     * in 50 words; the first sentence comes out exact). The bound leaves room for another espeak-ng build.
     */
    static final double MAX_WER = 0.45;

    static final List<String> SENTENCES = List.of(
            "the quick brown fox jumps over the lazy dog",
            "please call stella and ask her to bring these things with her from the store",
            "we will meet at the station at seven o'clock tomorrow morning",
            "the weather today is cold and windy with a chance of rain in the evening");

    private static final UpstreamAccount LOCAL = UpstreamAccount.local(2);

    @TempDir
    static Path models;

    private static VoskModel model;
    private static LocalEngine engine;

    @BeforeAll
    static void start() {
        model = new VoskModel(models.resolve("vosk-model-en-us").toString());
        engine = new LocalEngine(model, new Ffmpeg(), JsonMapper.builder().build());
    }

    @AfterAll
    static void stop() {
        model.close();
    }

    @Test
    void transcribesGeneratedSpeechWithWordTimestamps(@TempDir Path dir) throws Exception {
        int errors = 0;
        int reference = 0;
        for (String sentence : SENTENCES) {
            byte[] wav = speak(dir, sentence);

            Transcript transcript = engine.transcribe(LOCAL, call(wav), Duration.ofMinutes(1));

            List<String> expected = words(sentence);
            System.out.printf(Locale.ROOT, "said: %s%nheard: %s%n", sentence, transcript.text());
            errors += editDistance(expected, words(transcript.text()));
            reference += expected.size();
            assertThat(transcript.usage().type()).isEqualTo("duration");
            assertThat(transcript.usage().seconds()).isPositive();
            assertThat(transcript.words()).isNotEmpty();
            assertThat(transcript.words()).allSatisfy(w -> assertThat(w.end()).isGreaterThan(w.start()));
            assertThat(transcript.words().getLast().end()).isLessThanOrEqualTo(transcript.duration() + 0.05);
            assertThat(transcript.segments()).isNotEmpty();
        }
        double wer = (double) errors / reference;
        System.out.printf(Locale.ROOT, "local engine word error rate on %d words: %.3f%n", reference, wer);
        assertThat(wer).isLessThan(MAX_WER);
    }

    @Test
    void aTranslationIsRefusedClearlyWithoutDecodingAnything(@TempDir Path dir) throws Exception {
        byte[] wav = speak(dir, SENTENCES.getFirst());
        UpstreamCall plain = call(wav);
        UpstreamCall translation = new UpstreamCall(
                plain.model(),
                plain.usualUpstreamModel(),
                null,
                null,
                null,
                false,
                Lane.INTERACTIVE,
                "clip.wav",
                "audio/wav",
                wav.length,
                plain.audio(),
                JobTask.TRANSLATE);

        assertThatThrownBy(() -> engine.transcribe(LOCAL, translation, Duration.ofMinutes(1)))
                .isInstanceOfSatisfying(UpstreamException.Rejected.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("offline engine cannot translate");
                });
    }

    @Test
    void audioFfmpegCannotDecodeIsRejected() {
        byte[] garbage = "this is not audio at all, just text pretending".getBytes();

        assertThatThrownBy(() -> engine.transcribe(LOCAL, call(garbage), Duration.ofMinutes(1)))
                .isInstanceOfSatisfying(UpstreamException.Rejected.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).startsWith("The audio could not be decoded");
                });
    }

    @Test
    void aStoreThatCannotGiveTheAudioIsAStorageFailureNotAWaitForever() {
        UpstreamCall unreachable = call(new byte[1000], () -> {
            throw new ObjectStoreException("object store: get failed", null);
        });
        CompletableFuture<Transcript> answer = CompletableFuture.supplyAsync(
                () -> engine.transcribe(LOCAL, unreachable, Duration.ofMinutes(1)),
                Executors.newVirtualThreadPerTaskExecutor());

        Awaitility.await()
                .dontCatchUncaughtExceptions()
                .atMost(Duration.ofSeconds(10))
                .until(answer::isDone);
        assertThat(answer)
                .failsWithin(Duration.ZERO)
                .withThrowableThat()
                .havingCause()
                .isInstanceOf(ObjectStoreException.class);
    }

    @Test
    void aStoreFailingMidwayIsAStorageFailureNotATranscriptCutShort(@TempDir Path dir) throws Exception {
        byte[] wav = speak(dir, SENTENCES.get(1));
        UpstreamCall failsMidway = call(wav, () -> new InputStream() {
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent >= wav.length / 2) {
                    throw new IOException("connection reset by the store");
                }
                return wav[sent++] & 0xff;
            }
        });

        assertThatThrownBy(() -> engine.transcribe(LOCAL, failsMidway, Duration.ofMinutes(1)))
                .isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("connection reset by the store");
    }

    @Test
    void aPlaylistNamingOtherUrlsIsRefusedWithoutFetchingThem() throws Exception {
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer segments = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        segments.createContext("/", exchange -> {
            fetched.incrementAndGet();
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        segments.start();
        try {
            String base = "http://127.0.0.1:" + segments.getAddress().getPort();
            byte[] playlist = ("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n" + base + "/a.ts\n#EXTINF:10,\n" + base
                            + "/b.ts\n#EXT-X-ENDLIST\n")
                    .getBytes();

            assertThatThrownBy(() -> engine.transcribe(LOCAL, call(playlist), Duration.ofMinutes(1)))
                    .isInstanceOf(UpstreamException.Rejected.class);
            assertThat(fetched.get()).isZero();
        } finally {
            segments.stop(0);
        }
    }

    static byte[] speak(Path dir, String sentence) throws IOException, InterruptedException {
        Path wav = Files.createTempFile(dir, "speech", ".wav");
        Process espeak = new ProcessBuilder("espeak-ng", "-s", "130", "-w", wav.toString(), sentence)
                .redirectErrorStream(true)
                .start();
        String output = new String(espeak.getInputStream().readAllBytes());
        if (espeak.waitFor() != 0) {
            throw new IllegalStateException("espeak-ng failed (.ci/run installs it): " + output);
        }
        return Files.readAllBytes(wav);
    }

    static UpstreamCall call(byte[] audio) {
        return call(audio, () -> new ByteArrayInputStream(audio));
    }

    static UpstreamCall call(byte[] audio, Supplier<InputStream> stream) {
        return new UpstreamCall(
                "whisper-1",
                "whisper-1",
                null,
                null,
                null,
                false,
                Lane.INTERACTIVE,
                "clip.wav",
                "audio/wav",
                audio.length,
                stream);
    }

    static List<String> words(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT)
                        .replaceAll("[^a-z' ]", " ")
                        .trim()
                        .split("\\s+"))
                .filter(w -> !w.isEmpty())
                .toList();
    }

    /** Word-level Levenshtein distance: substitutions, insertions and deletions. */
    static int editDistance(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (int j = 0; j <= b.size(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.size(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.size(); j++) {
                int substitute = previous[j - 1] + (a.get(i - 1).equals(b.get(j - 1)) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }
}
