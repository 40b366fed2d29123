package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.ToneRecognizer;
import dev.transcriber.standalone.support.ToneSpeech;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Diarization end to end on the real embedded infrastructure, against an upstream that really listens and tells
 * speakers apart by tone family ({@link ToneRecognizer}): one call, and audio cut into pieces whose speaker labels
 * must mean the same voice in every piece.
 */
class DiarizationFlowTest {

    static final String MODEL = "gpt-4o-transcribe-diarize";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static ToneRecognizer upstream;
    private static TestSystem.Isolated isolated;
    private static ApiClient api;

    @BeforeAll
    static void start() throws Exception {
        upstream = new ToneRecognizer(0.01);
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.openai.base-url=" + upstream.baseUrl(),
                        "--transcriber.upstream.call-timeout=60s",
                        "--transcriber.chunking.parallelism=3",
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
    }

    @Test
    void oneCallComesBackAsSegmentsLabelledByVoice() {
        ToneSpeech.Speech speech = ToneSpeech.dialogue(12, 16_000, 4, 0.6, turn -> turn % 2);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .field("response_format", "diarized_json")
                .file("file", "call.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("task").asString()).isEqualTo("transcribe");
        assertThat(body.path("duration").asDouble()).isCloseTo(speech.duration(), within(0.1));
        assertThat(body.path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        List<Turn> turns = turns(speech);
        assertThat(body.path("segments").size()).isEqualTo(turns.size());
        for (int i = 0; i < turns.size(); i++) {
            JsonNode segment = body.path("segments").get(i);
            assertThat(segment.path("type").asString()).isEqualTo("transcript.text.segment");
            assertThat(segment.path("id").asString()).isEqualTo("seg_" + i);
            assertThat(segment.path("speaker").asString()).isEqualTo(i % 2 == 0 ? "A" : "B");
            assertThat(segment.path("text").asString()).isEqualTo(turns.get(i).text());
            assertThat(segment.path("start").asDouble()).isCloseTo(turns.get(i).start(), within(0.06));
            assertThat(segment.path("end").asDouble()).isCloseTo(turns.get(i).end(), within(0.06));
        }
        assertThat(body.path("usage").path("type").asString()).isEqualTo("duration");
        assertThat(upstream.diarizeCalls()).hasSize(1);
        assertThat(upstream.diarizeCalls().getFirst().knownNames()).isEmpty();
    }

    @Test
    void theDiarizingModelAlsoAnswersJsonAndText() {
        ToneSpeech.Speech speech = ToneSpeech.dialogue(6, 16_000, 4, 0.6, turn -> turn % 2);

        HttpResponse<String> json = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .file("file", "call.wav", "audio/wav", speech.wav()));
        HttpResponse<String> text = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .field("response_format", "text")
                .file("file", "call.wav", "audio/wav", speech.wav()));
        HttpResponse<String> verbose = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .field("response_format", "verbose_json")
                .file("file", "call.wav", "audio/wav", speech.wav()));
        HttpResponse<String> otherModel = api.transcribe(new Multipart()
                .field("model", "whisper-1")
                .field("response_format", "diarized_json")
                .file("file", "call.wav", "audio/wav", speech.wav()));

        assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
        assertThat(JSON.readTree(json.body()).path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        assertThat(text.statusCode()).isEqualTo(200);
        assertThat(text.body()).isEqualTo(String.join(" ", speech.text()) + "\n");
        assertThat(verbose.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(verbose.body()).path("error").path("param").asString())
                .isEqualTo("response_format");
        assertThat(otherModel.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(otherModel.body())
                        .path("error")
                        .path("message")
                        .asString())
                .contains("'diarized_json' is not compatible with model 'whisper-1'");
    }

    @Test
    void longAudioKeepsEveryVoicesLabelAcrossPiecesAndNoTurnIsSplitOrDoubledAtACut() {
        // 44 s with no silence to cut at: three overlapping pieces. Voices 0 and 1 take turns; voice 2 is first heard
        // in the second piece (at about 24 s) and again in the third.
        ToneSpeech.Speech speech = ToneSpeech.dialogue(44, 16_000, 7, 0, turn -> turn < 6 ? turn % 2 : turn % 3);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .field("response_format", "diarized_json")
                .file("file", "meeting.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<TranscriptionJob> pieces = pieces(response);
        assertThat(pieces).hasSize(3);
        for (TranscriptionJob piece : pieces.subList(1, pieces.size())) {
            assertThat(piece.pieceSpan().ownsFrom())
                    .as("overlapping windows")
                    .isGreaterThan(piece.pieceSpan().offset());
        }
        JsonNode body = JSON.readTree(response.body());
        JsonNode segments = body.path("segments");
        List<Turn> turns = turns(speech);
        List<String> said = new ArrayList<>();
        segments.forEach(s -> said.add(s.path("text").asString()));
        assertThat(said)
                .as("one segment per turn: none split or doubled at a cut")
                .isEqualTo(turns.stream().map(Turn::text).toList());
        for (int i = 0; i < turns.size(); i++) {
            assertThat(segments.get(i).path("id").asString()).isEqualTo("seg_" + i);
            assertThat(segments.get(i).path("start").asDouble())
                    .isCloseTo(turns.get(i).start(), within(0.06));
            assertThat(segments.get(i).path("end").asDouble())
                    .isCloseTo(turns.get(i).end(), within(0.06));
        }
        Map<Integer, String> labels = labelsByVoice(turns, segments);
        assertThat(labels).isEqualTo(Map.of(0, "A", 1, "B", 2, "C"));
        assertThat(body.path("text").asString()).isEqualTo(String.join(" ", speech.text()));

        List<ToneRecognizer.Call> calls = upstream.diarizeCalls().stream()
                .sorted(java.util.Comparator.comparingLong(ToneRecognizer.Call::startedNanos))
                .toList();
        assertThat(calls).hasSize(3);
        assertThat(calls.get(0).knownNames())
                .as("the first piece is heard with no reference")
                .isEmpty();
        assertThat(calls.get(1).knownNames()).containsExactlyInAnyOrder("speaker_A", "speaker_B");
        assertThat(calls.get(2).knownNames()).containsExactlyInAnyOrder("speaker_A", "speaker_B", "speaker_C");
        for (int i = 1; i < calls.size(); i++) {
            assertThat(calls.get(i).startedNanos())
                    .as("piece %d waits for the wave before it", i)
                    .isGreaterThan(calls.get(i - 1).endedNanos());
        }
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(isolated.system().objectStore().keys("jobs/" + jobId + "/speakers/"))
                        .as("reference clips removed once merged")
                        .isEmpty());
    }

    @Test
    void aStreamSendsEachSegmentWithItsSpeakerOnceItIsSettledThenTheWholeText() {
        ToneSpeech.Speech speech = ToneSpeech.dialogue(44, 16_000, 7, 0, turn -> turn < 6 ? turn % 2 : turn % 3);

        HttpResponse<String> response = api.transcribe(new Multipart()
                .field("model", MODEL)
                .field("chunking_strategy", "auto")
                .field("response_format", "diarized_json")
                .field("stream", "true")
                .file("file", "meeting.wav", "audio/wav", speech.wav()));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        List<JsonNode> events = java.util.Arrays.stream(response.body().split("\n"))
                .filter(line -> line.startsWith("data:"))
                .map(line -> JSON.readTree(line.substring(5).strip()))
                .toList();
        List<JsonNode> segments = events.subList(0, events.size() - 1);
        JsonNode done = events.getLast();
        assertThat(done.path("type").asString()).isEqualTo("transcript.text.done");
        assertThat(done.path("text").asString()).isEqualTo(String.join(" ", speech.text()));
        List<Turn> turns = turns(speech);
        assertThat(segments).hasSize(turns.size());
        for (int i = 0; i < turns.size(); i++) {
            JsonNode segment = segments.get(i);
            assertThat(segment.path("type").asString()).isEqualTo("transcript.text.segment");
            assertThat(segment.path("id").asString()).isEqualTo("seg_" + i);
            assertThat(segment.path("text").asString()).isEqualTo(turns.get(i).text());
        }
        JsonNode asArray = JSON.valueToTree(segments);
        assertThat(labelsByVoice(turns, asArray)).isEqualTo(Map.of(0, "A", 1, "B", 2, "C"));
    }

    /** A turn of the conversation as said: its words, who said them, and when. */
    record Turn(int speaker, double start, double end, String text) {}

    static List<Turn> turns(ToneSpeech.Speech speech) {
        List<Turn> turns = new ArrayList<>();
        List<ToneSpeech.Word> current = new ArrayList<>();
        for (ToneSpeech.Word word : speech.words()) {
            if (!current.isEmpty()
                    && (ToneSpeech.family(word.word())
                                    != ToneSpeech.family(current.getFirst().word())
                            || word.start() - current.getLast().end() > 0.5)) {
                turns.add(turn(current));
                current = new ArrayList<>();
            }
            current.add(word);
        }
        if (!current.isEmpty()) {
            turns.add(turn(current));
        }
        return turns;
    }

    private static Turn turn(List<ToneSpeech.Word> words) {
        return new Turn(
                ToneSpeech.family(words.getFirst().word()),
                words.getFirst().start(),
                words.getLast().end(),
                String.join(" ", words.stream().map(ToneSpeech.Word::word).toList()));
    }

    /** Which label each tone family got, checking that one family never has two labels nor two families one. */
    static Map<Integer, String> labelsByVoice(List<Turn> turns, JsonNode segments) {
        Map<Integer, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < turns.size(); i++) {
            String label = segments.get(i).path("speaker").asString();
            String before = labels.putIfAbsent(turns.get(i).speaker(), label);
            assertThat(before == null ? label : before)
                    .as("the label of voice %d at segment %d", turns.get(i).speaker(), i)
                    .isEqualTo(label);
        }
        assertThat(labels.values()).doesNotHaveDuplicates();
        return labels;
    }

    static List<TranscriptionJob> pieces(HttpResponse<String> response) {
        JobId jobId = JobId.parse(
                response.headers().firstValue("X-Transcription-Job-Id").orElseThrow());
        return isolated.system().jobs().findPieces(jobId.value());
    }
}
