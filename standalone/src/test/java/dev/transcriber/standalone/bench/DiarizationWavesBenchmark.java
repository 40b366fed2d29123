package dev.transcriber.standalone.bench;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.ToneRecognizer;
import dev.transcriber.standalone.support.ToneSpeech;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Prints what waves cost: the wall time of a 3-piece file (44 s of a three-voice conversation with no silence, cut
 * into three overlapping pieces) through the sync endpoint with gpt-4o-transcribe-diarize, against an upstream that
 * takes a fixed time per call: as {@code json} (speakers not asked for: the pieces run at once), and as
 * {@code diarized_json} with {@code transcriber.diarization.wave-size} 1 (the pieces one after the other, each with the
 * voices heard before it) and 2 (the first piece, then the other two at once). Each figure is the median of
 * {@code bench.runs} requests.
 *
 * <p>Run with {@code bench/diarization-waves.sh}. Options: {@code -Dbench.callSeconds=2} (upstream seconds per call),
 * {@code -Dbench.runs=3}.
 */
public final class DiarizationWavesBenchmark {

    public static void main(String[] args) throws Exception {
        double callSeconds = Double.parseDouble(System.getProperty("bench.callSeconds", "2"));
        int runs = Integer.getInteger("bench.runs", 3);
        ToneSpeech.Speech speech = ToneSpeech.dialogue(44, 16_000, 7, 0, turn -> turn < 6 ? turn % 2 : turn % 3);
        System.out.printf(
                Locale.ROOT,
                "a %.1f s conversation of 3 voices, cut into 3 overlapping pieces; upstream: %.2f s per call%n",
                speech.duration(),
                callSeconds);
        double parallel;
        double oneByOne;
        double twoAtOnce;
        try (ToneRecognizer upstream = new ToneRecognizer(0);
                LocalInfrastructure infra = BenchSystem.infrastructure()) {
            upstream.latencyPerCall(callSeconds);
            LocalSystem system = start(infra, upstream, 1);
            try {
                parallel = median(system, speech, "json", runs, "pieces at once (json)");
                oneByOne = median(system, speech, "diarized_json", runs, "waves of 1 (diarized_json)");
            } finally {
                system.close();
            }
            system = start(infra, upstream, 2);
            try {
                twoAtOnce = median(system, speech, "diarized_json", runs, "waves of 2 (diarized_json)");
            } finally {
                system.close();
            }
        }
        System.out.printf(
                Locale.ROOT,
                "waves of 1 cost %.2f s more than pieces at once (%.2fx); waves of 2 cost %.2f s more (%.2fx)%n",
                oneByOne - parallel,
                oneByOne / parallel,
                twoAtOnce - parallel,
                twoAtOnce / parallel);
        System.exit(0);
    }

    private static LocalSystem start(LocalInfrastructure infra, ToneRecognizer upstream, int waveSize) {
        return BenchSystem.start(
                infra,
                upstream.baseUrl(),
                8,
                "--transcriber.chunking.parallelism=3",
                "--transcriber.chunking.min-piece=15s",
                "--transcriber.diarization.wave-size=" + waveSize);
    }

    private static double median(LocalSystem system, ToneSpeech.Speech speech, String format, int runs, String name)
            throws Exception {
        List<Double> walls = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            walls.add(once(system, speech, format));
        }
        List<Double> sorted = walls.stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        System.out.printf(
                Locale.ROOT,
                "%s: median wall %.2f s (runs: %s)%n",
                name,
                median,
                String.join(
                        ", ",
                        walls.stream()
                                .map(w -> String.format(Locale.ROOT, "%.2f", w))
                                .toList()));
        return median;
    }

    private static double once(LocalSystem system, ToneSpeech.Speech speech, String format) throws Exception {
        Multipart form = new Multipart()
                .field("model", "gpt-4o-transcribe-diarize")
                .field("chunking_strategy", "auto")
                .field("response_format", format)
                .file("file", "meeting.wav", "audio/wav", speech.wav());
        ApiClient api = new ApiClient("http://127.0.0.1:" + system.apiPort());
        long started = System.nanoTime();
        HttpResponse<String> response = api.transcribe(form, BenchSystem.KEY, Duration.ofMinutes(5));
        double wall = (System.nanoTime() - started) / 1e9;
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
        }
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        int pieces = system.api()
                .getBean(JobRepository.class)
                .findPieces(jobId.value())
                .size();
        if (pieces != 3) {
            throw new IllegalStateException("expected 3 pieces, got " + pieces);
        }
        return wall;
    }
}
