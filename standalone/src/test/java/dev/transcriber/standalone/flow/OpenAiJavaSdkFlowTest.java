package dev.transcriber.standalone.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.audio.AudioResponseFormat;
import com.openai.models.audio.transcriptions.Transcription;
import com.openai.models.audio.transcriptions.TranscriptionCreateParams;
import com.openai.models.audio.transcriptions.TranscriptionCreateResponse;
import com.openai.models.audio.transcriptions.TranscriptionDiarized;
import com.openai.models.audio.transcriptions.TranscriptionDiarizedSegment;
import com.openai.models.audio.transcriptions.TranscriptionInclude;
import com.openai.models.audio.transcriptions.TranscriptionSegment;
import com.openai.models.audio.transcriptions.TranscriptionStreamEvent;
import com.openai.models.audio.transcriptions.TranscriptionTextDeltaEvent;
import com.openai.models.audio.transcriptions.TranscriptionTextDoneEvent;
import com.openai.models.audio.transcriptions.TranscriptionVerbose;
import com.openai.models.audio.transcriptions.TranscriptionWord;
import com.openai.models.audio.translations.TranslationCreateParams;
import com.openai.models.audio.translations.TranslationCreateResponse;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.standalone.support.ToneRecognizer;
import dev.transcriber.standalone.support.ToneSpeech;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official OpenAI Java SDK, unmodified, as the caller: an {@link OpenAIClient} pointed at the api's {@code /v1}
 * with a caller's key, on the real embedded infrastructure and an upstream that really listens ({@link
 * ToneRecognizer}). Every answer is read through the SDK's typed models, as an OpenAI customer's code reads them.
 * Models are named by string: the SDK's {@code AudioModel} constants are deprecated in 4.105.0.
 */
class OpenAiJavaSdkFlowTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static ToneRecognizer upstream;
    private static TestSystem.Isolated isolated;
    private static OpenAIClient openai;
    private static ApiClient raw;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        upstream = new ToneRecognizer(0.01);
        isolated = TestSystem.isolated(
                List.of(
                        "--transcriber.openai.base-url=" + upstream.baseUrl(),
                        "--transcriber.upstream.call-timeout=60s"),
                List.of());
        openai = client(TestSystem.API_KEY);
        raw = new ApiClient(isolated.system().apiBaseUrl());
    }

    @AfterAll
    static void stop() {
        openai.close();
        isolated.close();
        upstream.close();
    }

    @BeforeEach
    void resetUpstream() {
        upstream.reset();
    }

    private static OpenAIClient client(String apiKey) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(isolated.system().apiBaseUrl() + "/v1")
                .apiKey(apiKey)
                .maxRetries(0)
                .build();
    }

    @Test
    void aJsonTranscriptionIsTheSdksTranscription() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.make(4, 16_000, 4, 0.6);

        TranscriptionCreateResponse response = openai.audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .file(wav(speech))
                        .model("whisper-1")
                        .responseFormat(AudioResponseFormat.JSON)
                        .build());

        assertThat(response.isTranscription()).as(response.toString()).isTrue();
        Transcription transcription = response.asTranscription();
        assertThat(transcription.text()).isEqualTo(String.join(" ", speech.text()));
        assertThat(upstream.calls()).isEqualTo(1);
    }

    @Test
    void verboseJsonWithWordsAndSegmentsIsTheSdksTranscriptionVerbose() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.make(5, 16_000, 4, 0.8);

        TranscriptionCreateResponse response = openai.audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .file(wav(speech))
                        .model("whisper-1")
                        .responseFormat(AudioResponseFormat.VERBOSE_JSON)
                        .addTimestampGranularity(TranscriptionCreateParams.TimestampGranularity.WORD)
                        .addTimestampGranularity(TranscriptionCreateParams.TimestampGranularity.SEGMENT)
                        .build());

        assertThat(response.isVerbose()).as(response.toString()).isTrue();
        TranscriptionVerbose verbose = response.asVerbose();
        assertThat(verbose.text()).isEqualTo(String.join(" ", speech.text()));
        assertThat(verbose.language()).isEqualTo("english");
        assertThat(verbose.duration()).isCloseTo(speech.duration(), within(0.05));
        List<TranscriptionWord> words = verbose.words().orElseThrow();
        assertThat(words).hasSize(speech.words().size());
        for (int i = 0; i < words.size(); i++) {
            ToneSpeech.Word said = speech.words().get(i);
            assertThat(words.get(i).word()).isEqualTo(said.word());
            assertThat(words.get(i).start()).isCloseTo(said.start(), within(0.03));
            assertThat(words.get(i).end()).isCloseTo(said.end(), within(0.03));
        }
        List<TranscriptionSegment> segments = verbose.segments().orElseThrow();
        assertThat(segments.stream().map(s -> s.text().strip()).toList())
                .as("a segment per sentence (split at pauses)")
                .containsExactlyElementsOf(sentences(speech, 4));
        for (int i = 0; i < segments.size(); i++) {
            assertThat(segments.get(i).id()).isEqualTo(i);
        }
    }

    @Test
    @SuppressWarnings("deprecation") // 4.105.0 marks translations().create deprecated, with nothing to use instead
    void aTranslationIsTheSdksTranslation() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.make(3, 16_000, 4, 0.6);

        TranslationCreateResponse response = openai.audio()
                .translations()
                .create(TranslationCreateParams.builder()
                        .file(wav(speech))
                        .model("whisper-1")
                        .responseFormat(TranslationCreateParams.ResponseFormat.JSON)
                        .build());

        assertThat(response.isTranslation()).as(response.toString()).isTrue();
        assertThat(response.asTranslation().text())
                .isEqualTo(String.join(" ", speech.text()).toUpperCase(Locale.ROOT));
        assertThat(upstream.translations()).hasSize(1);
        assertThat(upstream.translations().getFirst()).containsEntry("model", "whisper-1");
    }

    @Test
    void aStreamWithLogprobsIsTheSdksDeltaAndDoneEvents() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.make(4, 16_000, 4, 0.6);
        String whole = String.join(" ", speech.text());

        List<TranscriptionStreamEvent> events;
        try (StreamResponse<TranscriptionStreamEvent> stream = openai.audio()
                .transcriptions()
                .createStreaming(TranscriptionCreateParams.builder()
                        .file(wav(speech))
                        .model("gpt-4o-transcribe")
                        .addInclude(TranscriptionInclude.LOGPROBS)
                        .build())) {
            events = stream.stream().toList();
        }

        assertThat(events).isNotEmpty();
        List<TranscriptionTextDeltaEvent> deltas = events.stream()
                .filter(TranscriptionStreamEvent::isTranscriptTextDelta)
                .map(TranscriptionStreamEvent::asTranscriptTextDelta)
                .toList();
        assertThat(deltas).isNotEmpty();
        assertThat(events.getLast().isTranscriptTextDone())
                .as(events.toString())
                .isTrue();
        TranscriptionTextDoneEvent done = events.getLast().asTranscriptTextDone();
        assertThat(done.text()).isEqualTo(whole);
        assertThat(String.join(
                        "",
                        deltas.stream().map(TranscriptionTextDeltaEvent::delta).toList()))
                .isEqualTo(whole);
        // the tone upstream answers gpt-4o models with text and usage only, no logprobs: none to pass on
        assertThat(done.logprobs().orElse(List.of())).isEmpty();
    }

    @Test
    void diarizedJsonWithChunkingAutoIsTheSdksTranscriptionDiarized() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.dialogue(12, 16_000, 4, 0.6, turn -> turn % 2);
        List<DiarizationFlowTest.Turn> turns = DiarizationFlowTest.turns(speech);

        TranscriptionCreateResponse response = openai.audio()
                .transcriptions()
                .create(TranscriptionCreateParams.builder()
                        .file(wav(speech))
                        .model("gpt-4o-transcribe-diarize")
                        .responseFormat(AudioResponseFormat.DIARIZED_JSON)
                        .chunkingStrategyAuto()
                        .build());

        // 4.105.0 reads diarized_json as OpenAI's TranscriptionDiarized (older 4.x SDKs gave it back as a Transcription
        // whose text was the raw body); validate() also checks the constants: task "transcribe", each segment's type.
        assertThat(response.isDiarized()).as(response.toString()).isTrue();
        TranscriptionDiarized diarized = response.asDiarized().validate();
        assertThat(diarized._task().asString()).contains("transcribe");
        assertThat(diarized.duration()).isCloseTo(speech.duration(), within(0.1));
        assertThat(diarized.text()).isEqualTo(String.join(" ", speech.text()));
        List<TranscriptionDiarizedSegment> segments = diarized.segments();
        assertThat(segments).hasSize(turns.size());
        for (int i = 0; i < turns.size(); i++) {
            TranscriptionDiarizedSegment segment = segments.get(i);
            assertThat(segment._type().asString()).contains("transcript.text.segment");
            assertThat(segment.id()).isEqualTo("seg_" + i);
            assertThat(segment.speaker()).isEqualTo(i % 2 == 0 ? "A" : "B");
            assertThat(segment.text()).isEqualTo(turns.get(i).text());
            assertThat(segment.start()).isCloseTo(turns.get(i).start(), within(0.06));
            assertThat(segment.end()).isCloseTo(turns.get(i).end(), within(0.06));
        }
        assertThat(diarized.usage().orElseThrow().asDuration().seconds()).isEqualTo(Math.ceil(speech.duration()));
        assertThat(upstream.diarizeCalls()).hasSize(1);
    }

    @Test
    void anUnsupportedModelIsTheSdksBadRequestWithTheGatewaysCodeParamAndMessage() throws IOException {
        ToneSpeech.Speech speech = ToneSpeech.make(2, 16_000, 4, 0.6);
        HttpResponse<String> sent = raw.transcribe(
                new Multipart().field("model", "gpt-4.1").file("file", "speech.wav", "audio/wav", speech.wav()));
        JsonNode error = JSON.readTree(sent.body()).path("error");
        assertThat(sent.statusCode()).isEqualTo(400);

        Path file = wav(speech);
        assertThatThrownBy(() -> openai.audio()
                        .transcriptions()
                        .create(TranscriptionCreateParams.builder()
                                .file(file)
                                .model("gpt-4.1")
                                .build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.type()).contains("invalid_request_error");
                    assertThat(e.code()).contains(error.path("code").asString());
                    assertThat(e.param()).contains("model");
                    assertThat(e.getMessage())
                            .isEqualTo("400: " + error.path("message").asString());
                    assertThat(e.getMessage()).startsWith("400: Unsupported transcription model 'gpt-4.1'.");
                });
        assertThat(upstream.calls()).isZero();
    }

    @Test
    void aWrongKeyIsTheSdksUnauthorized() throws IOException {
        Path file = wav(ToneSpeech.make(2, 16_000, 4, 0.6));
        OpenAIClient wrong = client("sk-not-a-key");
        try {
            assertThatThrownBy(() -> wrong.audio()
                            .transcriptions()
                            .create(TranscriptionCreateParams.builder()
                                    .file(file)
                                    .model("whisper-1")
                                    .build()))
                    .isInstanceOfSatisfying(UnauthorizedException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(401);
                        assertThat(e.code()).contains("invalid_api_key");
                    });
        } finally {
            wrong.close();
        }
        assertThat(upstream.calls()).isZero();
    }

    private Path wav(ToneSpeech.Speech speech) throws IOException {
        Path file = Files.createTempFile(dir, "speech", ".wav");
        Files.write(file, speech.wav());
        return file;
    }

    /** The words said between pauses, each run joined by spaces. */
    private static List<String> sentences(ToneSpeech.Speech speech, int wordsPerSentence) {
        List<String> said = speech.text();
        List<String> sentences = new java.util.ArrayList<>();
        for (int i = 0; i < said.size(); i += wordsPerSentence) {
            sentences.add(String.join(" ", said.subList(i, Math.min(said.size(), i + wordsPerSentence))));
        }
        return sentences;
    }
}
