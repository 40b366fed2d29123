package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.transcriber.api.intake.JobSubmission;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.ToneRecognizer;
import dev.transcriber.standalone.support.ToneSpeech;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Long audio end to end on the real embedded infrastructure, against an upstream that really listens
 * ({@link ToneRecognizer}): the audio is cut (at silences, or in overlapping windows), the pieces are transcribed at
 * once, and the merged transcript has every word once, in order, at the right time.
 */
class LongAudioFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static ToneRecognizer upstream;
    private static TestSystem.Isolated isolated;
    private static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        upstream = new ToneRecognizer(0.02);
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.openai.base-url=" + upstream.baseUrl(),
                        "--transcriber.upstream.call-timeout=60s",
                        "--transcriber.chunking.parallelism=6",
                        "--transcriber.chunking.min-piece=15s"),
                List.of("--transcriber.api.max-upload-size=64MB"));
        api = new ApiClient(isolated.system().apiBaseUrl());
    }

    @AfterAll
    static void stop() {
        isolated.close();
        upstream.close();
    }

    @BeforeEach
    void resetUpstream() {
        upstream.reset();
        upstream.latencyPerAudioSecond(0.02);
    }

    @Test
    void aSyncRequestDoesNotQueueBehindABulkBacklog() {
        upstream.latencyPerAudioSecond(0.2); // a 10 s clip takes 2 s upstream
        byte[] clip = ToneSpeech.make(10, 16_000, 8, 1.0).wav();
        JobSubmission submission = isolated.system().api().getBean(JobSubmission.class);
        List<JobId> backlog = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            JobId jobId = JobId.random();
            String key = ObjectKeys.sourceAudio(jobId);
            isolated.system().objectStore().put(key, new ByteArrayInputStream(clip), clip.length, "audio/wav");
            submission.submit(
                    jobId,
                    null,
                    Lane.BULK,
                    new JobSpec("whisper-1", "json", null, null, null),
                    new StoredAudio(key, "bulk.wav", "audio/wav", clip.length),
                    null,
                    dev.transcriber.api.keys.KeyLimits.Admission.NOW,
                    null,
                    null,
                    submission::announce);
            backlog.add(jobId);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> upstream.inFlight() >= 8); // bulk work is running
        ToneSpeech.Speech question = ToneSpeech.make(2, 16_000, 4, 0.5);

        long started = System.nanoTime();
        HttpResponse<String> response = api.transcribe(
                new Multipart().field("model", "whisper-1").file("file", "question.wav", "audio/wav", question.wav()));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("text").asString()).isEqualTo(String.join(" ", question.text()));
        long unfinished = backlog.stream()
                .map(id -> isolated.system().jobs().findById(id.value()).orElseThrow())
                .filter(job -> job.finishedAt() == null)
                .count();
        assertThat(unfinished)
                .as("bulk jobs still waiting when the sync answer came")
                .isGreaterThanOrEqualTo(8);
        assertThat(took).as("the sync request's time").isLessThan(Duration.ofSeconds(3));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> backlog.stream()
                        .allMatch(id -> isolated.system()
                                        .jobs()
                                        .findById(id.value())
                                        .orElseThrow()
                                        .finishedAt()
                                != null));
    }

    @Test
    void longAudioIsCutAtSilencesTranscribedInParallelAndMergedExactly() {
        ToneSpeech.Speech speech = ToneSpeech.make(180, 22_050, 8, 1.0);
        byte[] mp3 = ToneSpeech.encode(speech.wav(), "-c:a", "libmp3lame", "-b:a", "64k", "-f", "mp3");

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "verbose_json")
                .field("timestamp_granularities[]", "word")
                .field("timestamp_granularities[]", "segment")
                .file("file", "episode.mp3", "audio/mpeg", mp3));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        List<String> words = new ArrayList<>();
        body.path("words").forEach(w -> words.add(w.path("word").asString()));
        assertThat(words).isEqualTo(speech.text());
        assertThat(body.path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        for (int i = 0; i < words.size(); i++) {
            assertThat(body.path("words").get(i).path("start").asDouble())
                    .isCloseTo(speech.words().get(i).start(), within(0.06));
        }
        JsonNode lastSegment = body.path("segments").get(body.path("segments").size() - 1);
        assertThat(lastSegment.path("end").asDouble())
                .isCloseTo(speech.words().getLast().end(), within(0.2));
        assertThat(body.path("duration").asDouble()).isCloseTo(speech.duration(), within(0.1));

        List<TranscriptionJob> pieces = pieces(response);
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(5);
        for (TranscriptionJob piece : pieces.subList(1, pieces.size())) {
            double cut = piece.pieceSpan().offset();
            assertThat(speech.silences())
                    .as("the cut at %.3f s falls in a silence", cut)
                    .anySatisfy(s -> assertThat(cut).isBetween(s[0], s[1]));
            assertThat(piece.pieceSpan().ownsFrom()).isEqualTo(cut); // no overlap needed
        }
        assertThat(upstream.maxInFlight()).as("pieces transcribed at once").isGreaterThanOrEqualTo(2);
        assertThat(upstream.calls()).isEqualTo(pieces.size());
        double billed = body.path("usage").path("seconds").asDouble();
        assertThat(billed)
                .isEqualTo(pieces.stream()
                        .mapToDouble(p -> Math.ceil(p.pieceSpan().duration()))
                        .sum());
        assertThat(pieces)
                .allSatisfy(p -> assertThat(
                                isolated.system().objectStore().size(p.audio().objectKey()))
                        .as("piece audio removed once merged")
                        .isEmpty());
    }

    @Test
    void longAudioIsTranslatedInPiecesThroughTheUpstreamsTranslationsAndMergedInOrder() {
        ToneSpeech.Speech speech = ToneSpeech.make(90, 16_000, 8, 1.0);

        HttpResponse<String> response = api.translate(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "verbose_json")
                .field("prompt", "A talk.")
                .file("file", "talk.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        List<String> english = speech.text().stream()
                .map(w -> w.toUpperCase(java.util.Locale.ROOT))
                .toList();
        assertThat(body.path("task").asString()).isEqualTo("translate");
        assertThat(body.path("language").asString()).isEqualTo("english");
        assertThat(body.path("text").asString()).isEqualTo(String.join(" ", english));
        List<String> segmentWords = new ArrayList<>();
        body.path("segments")
                .forEach(s -> segmentWords.addAll(
                        Arrays.asList(s.path("text").asString().strip().split(" "))));
        assertThat(segmentWords)
                .as("every word once, in order, across the cuts")
                .isEqualTo(english);
        assertThat(body.path("segments")
                        .get(body.path("segments").size() - 1)
                        .path("end")
                        .asDouble())
                .isCloseTo(speech.words().getLast().end(), within(0.2));
        assertThat(body.has("words")).isFalse();
        assertThat(body.has("usage"))
                .as("OpenAI's translations report no usage")
                .isFalse();

        List<TranscriptionJob> pieces = pieces(response);
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(3);
        assertThat(pieces).allSatisfy(p -> assertThat(p.spec().translates()).isTrue());
        assertThat(upstream.translations())
                .as("every piece went to /audio/translations")
                .hasSize(pieces.size());
        assertThat(upstream.calls()).isEqualTo(pieces.size());
        assertThat(upstream.translations()).allSatisfy(fields -> {
            assertThat(fields).containsEntry("model", "whisper-1");
            assertThat(fields).containsEntry("response_format", "verbose_json");
            assertThat(fields).containsEntry("prompt", "A talk.");
            assertThat(fields).doesNotContainKeys("language", "timestamp_granularities[]");
        });
        JsonNode job = JSON.readTree(api.get("/v1/transcription_jobs/"
                        + response.headers()
                                .firstValue("X-Transcription-Job-Id")
                                .orElseThrow())
                .body());
        assertThat(job.path("task").asString()).isEqualTo("translate");
        assertThat(job.path("usage").path("type").asString()).isEqualTo("duration");
        assertThat(job.path("usage").path("seconds").asDouble())
                .as("billed by duration, summed over the pieces")
                .isEqualTo(pieces.stream()
                        .mapToDouble(p -> Math.ceil(p.pieceSpan().duration()))
                        .sum());
    }

    @Test
    void withoutSilencesPiecesOverlapAndNoWordIsLostOrDoubled() {
        ToneSpeech.Speech speech = ToneSpeech.make(75, 16_000, 8, 0);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "verbose_json")
                .field("timestamp_granularities[]", "word")
                .file("file", "talk.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        List<String> words = new ArrayList<>();
        body.path("words").forEach(w -> words.add(w.path("word").asString()));
        assertThat(words).isEqualTo(speech.text());
        assertThat(body.path("words").get(words.size() - 1).path("end").asDouble())
                .isCloseTo(speech.words().getLast().end(), within(0.05));
        List<TranscriptionJob> pieces = pieces(response);
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(4);
        for (TranscriptionJob piece : pieces.subList(1, pieces.size())) {
            PieceSpan span = piece.pieceSpan();
            assertThat(span.ownsFrom()).as("overlapping windows").isGreaterThan(span.offset());
        }
    }

    @Test
    void modelsWithoutTimestampsAreJoinedWhereThePiecesAgree() {
        ToneSpeech.Speech speech = ToneSpeech.make(75, 16_000, 8, 0);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", "gpt-4o-transcribe")
                .file("file", "talk.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        JsonNode usage = body.path("usage");
        assertThat(usage.path("type").asString()).isEqualTo("tokens");
        assertThat(usage.path("total_tokens").asLong())
                .isEqualTo(usage.path("input_tokens").asLong()
                        + usage.path("output_tokens").asLong());
        assertThat(pieces(response)).hasSizeGreaterThanOrEqualTo(4);
    }

    @Test
    void streamingSendsEachPiecesTextInOrderThenTheWhole() {
        ToneSpeech.Speech speech = ToneSpeech.make(90, 16_000, 6, 1.0);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("stream", "true")
                .file("file", "talk.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<JsonNode> events = Arrays.stream(response.body().split("\n"))
                .filter(line -> line.startsWith("data:"))
                .map(line -> JSON.readTree(line.substring(5).strip()))
                .toList();
        List<JsonNode> deltas = events.stream()
                .filter(e -> e.path("type").asString().equals("transcript.text.delta"))
                .toList();
        JsonNode done = events.getLast();
        assertThat(done.path("type").asString()).isEqualTo("transcript.text.done");
        assertThat(deltas).hasSizeGreaterThanOrEqualTo(2);
        String streamed = String.join(
                "", deltas.stream().map(d -> d.path("delta").asString()).toList());
        assertThat(streamed).isEqualTo(done.path("text").asString());
        assertThat(done.path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        assertThat(done.path("usage").path("type").asString()).isEqualTo("duration");
    }

    @Test
    void subtitlesOfLongAudioHaveOneCuePerSentenceAtTheRightTime() {
        ToneSpeech.Speech speech = ToneSpeech.make(60, 16_000, 5, 1.0);

        HttpResponse<String> srt = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "srt")
                .file("file", "talk.wav", "audio/wav", speech.wav()));
        HttpResponse<String> vtt = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "vtt")
                .file("file", "talk.wav", "audio/wav", speech.wav()));

        assertThat(srt.statusCode()).as(srt.body()).isEqualTo(200);
        String[] cues = srt.body().strip().split("\n\n");
        int sentences = (speech.words().size() + 4) / 5;
        assertThat(cues).hasSize(sentences);
        String lastTiming = cues[cues.length - 1].split("\n")[1];
        double lastEnd =
                seconds(lastTiming.substring(lastTiming.indexOf("-->") + 4).replace(',', '.'));
        assertThat(lastEnd).isCloseTo(speech.words().getLast().end(), within(0.2));
        assertThat(vtt.statusCode()).isEqualTo(200);
        assertThat(vtt.body()).startsWith("WEBVTT\n\n");
        assertThat(vtt.body().strip().split("\n\n")).hasSize(sentences + 1);
    }

    @Test
    void aPieceTheUpstreamFindsTooLargeIsOurFailureNotTheCallersAudio() {
        // a piece is audio the gateway cut and sized itself: an upstream's 413 or 415 for it says so of the cutting
        // (its piece size too large for that upstream), not of the audio the caller sent
        upstream.refuseWith(413);
        ToneSpeech.Speech speech = ToneSpeech.make(60, 16_000, 4, 1.0);

        HttpResponse<String> response = api.transcribe(
                new Multipart().field("model", "whisper-1").file("file", "episode.wav", "audio/wav", speech.wav()));

        assertThat(pieces(response)).as("the audio was cut").hasSizeGreaterThanOrEqualTo(2);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(JSON.readTree(response.body()).path("error").path("code").asString())
                .isEqualTo("upstream_error");
    }

    @Test
    void badAudioIsRefusedWithTheProblemNamedAndNothingLeftBehind() {
        byte[] wav = ToneSpeech.make(3, 16_000, 4, 0.5).wav();
        byte[] aiff = ToneSpeech.encode(wav, "-f", "aiff");
        byte[] silentVideo = ToneSpeech.encode(
                wav, "-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-map", "1:v", "-c:v", "mpeg4", "-f", "mp4");
        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        System.arraycopy("RIFF".getBytes(), 0, garbage, 0, 4);

        assertRefused("notes.mp3", "This is a text file, not audio.".getBytes(), "Invalid file format");
        assertRefused("broken.wav", garbage, "Invalid file format");
        assertRefused("clip", aiff, "not in a supported container");
        assertRefused("video.mp4", silentVideo, "no audio stream");
    }

    private void assertRefused(String filename, byte[] content, String problem) {
        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .file("file", filename, "application/octet-stream", content));

        assertThat(response.statusCode()).as(filename + ": " + response.body()).isEqualTo(400);
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("message").asString()).contains(problem);
        assertThat(error.path("type").asString()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asString()).isEqualTo("file");
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        // removed right after the verdict, which the caller may already have in hand
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(isolated.system().objectStore().size(ObjectKeys.sourceAudio(jobId)))
                        .as("the audio of a refused job is removed")
                        .isEmpty());
        assertThat(upstream.calls()).isZero();
    }

    private List<TranscriptionJob> pieces(HttpResponse<String> response) {
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        return isolated.system().jobs().findPieces(jobId.value());
    }

    private static double seconds(String timestamp) {
        String[] parts = timestamp.strip().split(":");
        return Integer.parseInt(parts[0]) * 3600 + Integer.parseInt(parts[1]) * 60 + Double.parseDouble(parts[2]);
    }
}
