package dev.transcriber.standalone.bench;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.ToneRecognizer;
import dev.transcriber.standalone.support.ToneSpeech;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;

/**
 * Prints how long a 40-minute episode (tone speech with pauses, as MP3) takes through the sync endpoint against an
 * upstream whose latency grows with the audio it is sent, with 1 and with 8 upstream slots; the speedup; and how
 * fast the worker probes and cuts the audio (from the job's start to its last piece being queued; pieces are queued
 * as they are cut), as times realtime.
 *
 * <p>Run with {@code bench/long-audio.sh}. Options: {@code -Dbench.minutes=40}, {@code -Dbench.latencyPerSecond=0.05}
 * (upstream seconds per audio second).
 */
public final class LongAudioBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] args) throws Exception {
        double minutes = Double.parseDouble(System.getProperty("bench.minutes", "40"));
        double latency = Double.parseDouble(System.getProperty("bench.latencyPerSecond", "0.05"));
        System.out.printf(Locale.ROOT, "making %.0f minutes of tone speech as MP3...%n", minutes);
        ToneSpeech.Speech speech = ToneSpeech.make(minutes * 60, 22_050, 10, 0.8);
        byte[] mp3 = ToneSpeech.encode(speech.wav(), "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3");
        String truth = String.join(" ", speech.text());
        System.out.printf(
                Locale.ROOT,
                "episode: %.1f s, %d words, %.1f MB MP3; upstream latency %.3f s per audio second%n",
                speech.duration(),
                speech.words().size(),
                mp3.length / 1e6,
                latency);
        double[] walls = new double[2];
        int[] slots = {1, 8};
        try (ToneRecognizer upstream = new ToneRecognizer(latency);
                LocalInfrastructure infra = BenchSystem.infrastructure()) {
            for (int run = 0; run < slots.length; run++) {
                upstream.reset();
                LocalSystem system = BenchSystem.start(
                        infra, upstream.baseUrl(), slots[run], "--transcriber.upstream.call-timeout=20m");
                try {
                    walls[run] = once(system, mp3, truth, slots[run], speech.duration(), upstream);
                } finally {
                    system.close();
                }
            }
        }
        System.out.printf(Locale.ROOT, "speedup with 8 slots: %.2fx%n", walls[0] / walls[1]);
        System.exit(0);
    }

    private static double seconds(java.time.Instant from, java.time.Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    private static double once(
            LocalSystem system, byte[] mp3, String truth, int slots, double duration, ToneRecognizer upstream)
            throws Exception {
        Multipart form = new Multipart().field("model", "whisper-1").file("file", "episode.mp3", "audio/mpeg", mp3);
        ApiClient api = new ApiClient("http://127.0.0.1:" + system.apiPort());
        long started = System.nanoTime();
        HttpResponse<String> response = api.transcribe(form, BenchSystem.KEY, Duration.ofMinutes(30));
        double wall = (System.nanoTime() - started) / 1e9;
        if (response.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + response.statusCode() + ": " + response.body());
        }
        String text = JSON.readTree(response.body()).path("text").asString();
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        JobRepository jobs = system.api().getBean(JobRepository.class);
        TranscriptionJob job = jobs.findById(jobId.value()).orElseThrow();
        List<TranscriptionJob> pieces = jobs.findPieces(jobId.value());
        double firstPiece = seconds(
                job.startedAt(),
                pieces.stream()
                        .map(TranscriptionJob::createdAt)
                        .min(Comparator.naturalOrder())
                        .orElseThrow());
        double cutting = seconds(
                job.startedAt(),
                pieces.stream()
                        .map(TranscriptionJob::createdAt)
                        .max(Comparator.naturalOrder())
                        .orElseThrow());
        System.out.printf(
                Locale.ROOT,
                "%d slot(s): wall %.1f s; %d pieces, at most %d calls at once; first piece queued after %.2f s;"
                        + " probe+decode+silences+cut+store of all %.2f s = %.0fx realtime; transcript %s%n",
                slots,
                wall,
                pieces.size(),
                upstream.maxInFlight(),
                firstPiece,
                cutting,
                duration / cutting,
                text.equals(truth) ? "matches every word" : "DIFFERS from the truth");
        return wall;
    }
}
