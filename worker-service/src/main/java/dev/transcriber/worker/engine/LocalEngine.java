package dev.transcriber.worker.engine;

import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import dev.transcriber.worker.accounts.AccountsProperties;
import dev.transcriber.worker.accounts.TranscriptionProvider;
import dev.transcriber.worker.accounts.UpstreamAccount;
import dev.transcriber.worker.accounts.UpstreamCall;
import dev.transcriber.worker.accounts.UpstreamException;
import dev.transcriber.worker.audio.Demuxing;
import dev.transcriber.worker.audio.Ffmpeg;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;
import org.vosk.Recognizer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The offline engine: ffmpeg decodes any accepted container to 16 kHz mono PCM, streamed straight into a Vosk
 * recogniser. Gives text, a segment per recognised utterance and word timestamps; usage is the audio's duration. It
 * refuses translations (a 400): its model has none.
 */
@Component
class LocalEngine implements TranscriptionProvider {

    /** Vosk's speaker models are not published as a package, so the offline engine labels no speakers. */
    static final String NO_DIARIZATION =
            "The offline engine cannot label speakers: no speaker model is available to it as a package.";

    private static final int SAMPLE_RATE = 16_000;
    private static final int CHUNK = SAMPLE_RATE / 2; // 0.25 s of 16-bit samples

    private final VoskModel model;
    private final Ffmpeg ffmpeg;
    private final JsonMapper json;

    LocalEngine(VoskModel model, Ffmpeg ffmpeg, JsonMapper json) {
        this.model = model;
        this.ffmpeg = ffmpeg;
        this.json = json;
    }

    /**
     * Vosk's word confidences are not token log-probabilities, and it has no speaker model: rather than fake either,
     * the engine refuses them (a 400 the job fails with).
     */
    static void refuseWhatItCannotGive(UpstreamAccount account, UpstreamCall call) {
        if (call.logprobs()) {
            throw new UpstreamException.Rejected(
                    account.id(),
                    400,
                    "include[]=logprobs is not supported by the local engine: it gives word confidences, not token"
                            + " log-probabilities.");
        }
        if (!call.knownSpeakers().isEmpty()) {
            throw new UpstreamException.Rejected(
                    account.id(),
                    400,
                    "known_speaker_names[] and known_speaker_references[] are not supported by the local engine: it"
                            + " has no speaker model.");
        }
    }

    @Override
    public boolean handles(AccountsProperties.ProviderKind kind) {
        return kind == AccountsProperties.ProviderKind.LOCAL;
    }

    @Override
    public Transcript transcribe(UpstreamAccount account, UpstreamCall call, Duration timeLeft) {
        if (call.translates()) {
            // Vosk's model recognises English speech; it has no translation to offer, so it says so
            throw new UpstreamException.Rejected(
                    account.id(),
                    400,
                    "The offline engine cannot translate: it transcribes English speech only. Translations need an"
                            + " OpenAI-compatible upstream account for model '" + call.model() + "'.");
        }
        refuseWhatItCannotGive(account, call);
        if (call.diarization() != null) {
            // the api refuses this at request time; a job that got here anyway fails as the caller's request
            throw new UpstreamException.Rejected(account.id(), 400, NO_DIARIZATION);
        }
        // Opened here, before the decoder starts: a store that cannot give the audio fails the call at once (on the
        // feeder's thread it would leave ffmpeg waiting for input that never comes), and a read that fails later is
        // kept, so that a transcript of half the audio is not taken for the whole.
        CountingInputStream audio = CountingInputStream.counted(call.audio().get());
        Process decoder;
        try {
            decoder = start();
        } catch (RuntimeException e) {
            ObjectStore.closeQuietly(audio);
            throw e;
        }
        Thread feeder = Thread.ofVirtual().start(() -> feed(audio, decoder));
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        Thread errorReader = Thread.ofVirtual().start(() -> drain(decoder.getErrorStream(), errors));
        List<Transcript.Segment> segments = new ArrayList<>();
        List<Transcript.Word> words = new ArrayList<>();
        long bytes = 0;
        try (Recognizer recognizer = new Recognizer(model.get(), SAMPLE_RATE);
                InputStream pcm = decoder.getInputStream()) {
            recognizer.setWords(true);
            byte[] buffer = new byte[CHUNK];
            int n;
            while ((n = pcm.readNBytes(buffer, 0, buffer.length)) > 0) {
                bytes += n;
                if (recognizer.acceptWaveForm(buffer, n)) {
                    collect(recognizer.getResult(), segments, words);
                }
            }
            collect(recognizer.getFinalResult(), segments, words);
            if (!decoder.waitFor(Math.max(1, timeLeft.toMillis()), TimeUnit.MILLISECONDS)) {
                throw new UpstreamException.Retryable(account.id(), "timeout", "local engine timed out", null);
            }
            feeder.join();
            errorReader.join();
        } catch (IOException e) {
            throw new UpstreamException.Retryable(account.id(), "connection", "local engine failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UpstreamException.Retryable(account.id(), "connection", "interrupted", e);
        } finally {
            decoder.destroy();
        }
        if (audio.readFailure() != null) {
            throw new ObjectStoreException(
                    "object store: reading the audio for the local engine failed: " + audio.readFailure(),
                    audio.readFailure());
        }
        if (decoder.exitValue() != 0 && bytes == 0) {
            throw new UpstreamException.Rejected(
                    account.id(), 400, "The audio could not be decoded: " + firstLine(errors));
        }
        double seconds = bytes / 2.0 / SAMPLE_RATE;
        String text =
                String.join(" ", segments.stream().map(Transcript.Segment::text).toList());
        return new Transcript(text, "en", seconds, Usage.duration(round(seconds)), segments, words);
    }

    private void collect(String result, List<Transcript.Segment> segments, List<Transcript.Word> words) {
        JsonNode node = json.readTree(result);
        JsonNode recognised = node.path("result");
        String text = node.path("text").asString("");
        if (text.isBlank() || !recognised.isArray() || recognised.isEmpty()) {
            return;
        }
        List<Transcript.Word> utterance = new ArrayList<>();
        for (JsonNode w : recognised) {
            utterance.add(new Transcript.Word(
                    w.path("word").asString(),
                    w.path("start").asDouble(),
                    w.path("end").asDouble()));
        }
        words.addAll(utterance);
        segments.add(new Transcript.Segment(
                segments.size(),
                utterance.getFirst().start(),
                utterance.getLast().end(),
                text));
    }

    /** ffmpeg decoding what it is fed on standard input to 16 kHz mono PCM on standard output. */
    private Process start() {
        return ffmpeg.start(
                "-hide_banner",
                "-loglevel",
                "error",
                "-protocol_whitelist",
                "pipe",
                "-format_whitelist",
                Demuxing.FORMATS,
                "-i",
                "pipe:0",
                "-vn",
                "-ac",
                "1",
                "-ar",
                String.valueOf(SAMPLE_RATE),
                "-f",
                "s16le",
                "pipe:1");
    }

    private static void feed(CountingInputStream audio, Process decoder) {
        try (audio;
                OutputStream stdin = decoder.getOutputStream()) {
            audio.transferTo(stdin);
        } catch (IOException e) {
            // ffmpeg stopped reading (bad input; its exit status and stderr tell why), or the store failed (kept by
            // the counting stream); closing standard input ends the decoder's input either way
        }
    }

    private static void drain(InputStream in, ByteArrayOutputStream sink) {
        try (in) {
            byte[] kept = in.readNBytes(4096);
            sink.writeBytes(kept);
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the process ended
        }
    }

    private static String firstLine(ByteArrayOutputStream errors) {
        String text = errors.toString(StandardCharsets.UTF_8).strip();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    private static double round(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }
}
