package dev.transcriber.worker.engine;

import dev.transcriber.worker.accounts.UpstreamAccount;
import dev.transcriber.worker.accounts.UpstreamCall;
import dev.transcriber.worker.audio.Ffmpeg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints the local engine's speed as x realtime on one recogniser (one core): a minute or so of espeak-ng speech,
 * decoded by ffmpeg and recognised by Vosk, after one warm-up run. Run with {@code bench/accounts.sh}.
 */
public final class LocalEngineBenchmark {

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("local-engine-bench");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            text.append(String.join(". ", LocalEngineTest.SENTENCES)).append(". ");
        }
        byte[] wav = LocalEngineTest.speak(dir, text.toString());
        VoskModel model = new VoskModel(dir.resolve("model").toString());
        LocalEngine engine =
                new LocalEngine(model, new Ffmpeg(), JsonMapper.builder().build());
        UpstreamAccount local = UpstreamAccount.local(1);
        UpstreamCall call = LocalEngineTest.call(wav);

        long loadStart = System.nanoTime();
        engine.transcribe(local, call, Duration.ofMinutes(10)); // warm-up: extracts and loads the model
        double firstSeconds = (System.nanoTime() - loadStart) / 1e9;
        long start = System.nanoTime();
        var transcript = engine.transcribe(local, call, Duration.ofMinutes(10));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "local engine: %.1f s of audio transcribed in %.2f s on one recogniser = %.1fx realtime"
                        + " (first call with model extraction and load: %.2f s); %d words%n",
                transcript.duration(),
                seconds,
                transcript.duration() / seconds,
                firstSeconds,
                transcript.words().size());
        model.close();
    }

    private LocalEngineBenchmark() {}
}
