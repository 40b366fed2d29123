package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.transcript.TimestampGranularity;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TranscriptionOptionsTest {

    private static final int PROMPT = 2000;

    private static final StoredAudio AUDIO = new StoredAudio("k", "a.mp3", "audio/mpeg", 100);

    @Test
    void oneServedModelGivesSeed000sExactMessage() {
        ModelCatalog only = ModelCatalog.standard(List.of("gpt-4o-transcribe"));

        assertThatThrownBy(() -> TranscriptionOptions.validate(upload(Map.of("model", "whisper-1")), only, PROMPT))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getMessage())
                            .isEqualTo(
                                    "Unsupported transcription model 'whisper-1'. Only 'gpt-4o-transcribe' is supported.");
                    assertThat(e.param()).isEqualTo("model");
                    assertThat(e.code()).isEqualTo("invalid_request_error");
                    assertThat(e.status().value()).isEqualTo(400);
                });
    }

    @Test
    void acceptsTheOpenAiFields() {
        JobSpec spec = TranscriptionOptions.validate(
                upload(Map.of(
                        "model", "openai/gpt-4o-mini-transcribe",
                        "language", "fr",
                        "prompt", "Bonjour",
                        "temperature", "0.4",
                        "response_format", "text")),
                ModelCatalog.standard(),
                PROMPT);

        assertThat(spec).isEqualTo(new JobSpec("openai/gpt-4o-mini-transcribe", "text", "fr", "Bonjour", 0.4));
    }

    @Test
    void refusesBadTemperatureAndUnknownFormats() {
        // Java's own number forms (a float suffix, hexadecimal) are no number a form field sends
        for (String temperature : java.util.List.of("hot", "0.5f", "1d", "0x1p-1", "NaN", "1.5", "0.5\u2003x")) {
            assertThatThrownBy(() -> TranscriptionOptions.validate(
                            upload(Map.of("model", "whisper-1", "temperature", temperature)),
                            ModelCatalog.standard(),
                            PROMPT))
                    .as(temperature)
                    .isInstanceOfSatisfying(
                            ApiException.class, e -> assertThat(e.param()).isEqualTo("temperature"));
        }
        for (String temperature : java.util.List.of("0", "1", ".5", "0.25", "5e-1", " 0.5 ", "0.5\u2003")) {
            assertThat(TranscriptionOptions.validate(
                                    upload(Map.of("model", "whisper-1", "temperature", temperature)),
                                    ModelCatalog.standard(),
                                    PROMPT)
                            .temperature())
                    .as(temperature)
                    .isBetween(0.0, 1.0);
        }
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        upload(Map.of("model", "whisper-1", "response_format", "xml")),
                        ModelCatalog.standard(),
                        PROMPT))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.param()).isEqualTo("response_format"));
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        upload(Map.of("model", "whisper-1", "stream", "maybe")), ModelCatalog.standard(), PROMPT))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.param()).isEqualTo("stream"));
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        upload(Map.of("model", "whisper-1", "timestamp_granularities[]", "word,letter")),
                        ModelCatalog.standard(),
                        PROMPT))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.param()).isEqualTo("timestamp_granularities[]"));
    }

    @Test
    void timestampFormatsAreRefusedForModelsWithoutTimestampsAsOpenAiDoes() {
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        upload(Map.of("model", "gpt-4o-transcribe", "response_format", "verbose_json")),
                        ModelCatalog.standard(),
                        PROMPT))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getMessage())
                            .isEqualTo("response_format 'verbose_json' is not compatible with model"
                                    + " 'gpt-4o-transcribe'. Use 'json' or 'text' instead.");
                    assertThat(e.code()).isEqualTo("unsupported_value");
                    assertThat(e.param()).isEqualTo("response_format");
                });
    }

    @Test
    void whisperTakesEveryFormatAndGranularities() {
        JobSpec spec = TranscriptionOptions.validate(
                upload(Map.of(
                        "model", "whisper-1",
                        "response_format", "verbose_json",
                        "timestamp_granularities[]", "word,segment")),
                ModelCatalog.standard(),
                PROMPT);

        assertThat(spec.timestampGranularities())
                .containsExactlyInAnyOrder(TimestampGranularity.WORD, TimestampGranularity.SEGMENT);
        assertThat(TranscriptionOptions.stream(upload(Map.of("model", "whisper-1", "stream", "true"))))
                .isTrue();
    }

    @Test
    void languageMustBeAnIso6391Code() {
        for (String bad : List.of("english", "en-US", "xx", "e", "eng", "én")) {
            assertThatThrownBy(() -> TranscriptionOptions.validate(
                            new AudioUpload(Map.of("model", "whisper-1", "language", bad), Optional.of(AUDIO)),
                            ModelCatalog.standard(),
                            PROMPT))
                    .as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.status().value()).isEqualTo(400);
                        assertThat(e.code()).isEqualTo("invalid_language_format");
                        assertThat(e.param()).isEqualTo("language");
                        assertThat(e.getMessage()).startsWith("Invalid language '");
                    });
        }
        assertThat(TranscriptionOptions.validate(
                                upload(Map.of("model", "whisper-1", "language", "JA")), ModelCatalog.standard(), PROMPT)
                        .language())
                .isEqualTo("ja");
        assertThat(TranscriptionOptions.language("he")).isEqualTo("he");
    }

    @Test
    void aPromptLongerThanTheLimitIsRefused() {
        assertThat(TranscriptionOptions.validate(
                                upload(Map.of("model", "whisper-1", "prompt", "p".repeat(10))),
                                ModelCatalog.standard(),
                                10)
                        .prompt())
                .hasSize(10);
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        upload(Map.of("model", "whisper-1", "prompt", "p".repeat(11))), ModelCatalog.standard(), 10))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status().value()).isEqualTo(400);
                    assertThat(e.param()).isEqualTo("prompt");
                    assertThat(e.getMessage())
                            .isEqualTo("Invalid 'prompt': string too long. Expected a string with maximum length 10,"
                                    + " but got a string with length 11 instead.");
                });
        // counted in characters (code points), not bytes or UTF-16 units
        assertThat(TranscriptionOptions.validate(
                                upload(Map.of("model", "whisper-1", "prompt", "\uD83C\uDFB5".repeat(10))),
                                ModelCatalog.standard(),
                                10)
                        .prompt())
                .isNotNull();
    }

    @Test
    void timestampGranularitiesNeedVerboseJson() {
        for (Map<String, String> fields : List.of(
                Map.of("model", "whisper-1", "timestamp_granularities[]", "word"),
                Map.of("model", "whisper-1", "response_format", "srt", "timestamp_granularities[]", "segment"))) {
            assertThatThrownBy(() -> TranscriptionOptions.validate(upload(fields), ModelCatalog.standard(), PROMPT))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.getMessage())
                                .isEqualTo("`response_format` must be `verbose_json` if `timestamp_granularities[]`"
                                        + " is provided");
                        assertThat(e.param()).isEqualTo("timestamp_granularities[]");
                    });
        }
    }

    @Test
    void aFileNameIsJudgedByItsExtensionWhenItHasOne() {
        for (String bad : List.of("a.docx", "notes.TXT", "x.wav.exe", "dir/a.pdf", "C:\\x\\a.zip", ".bashrc")) {
            assertThatThrownBy(() -> MultipartAudioReader.checkExtension(bad))
                    .as(bad)
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.getMessage())
                                .isEqualTo("Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4',"
                                        + " 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']");
                        assertThat(e.param()).isEqualTo("file");
                    });
        }
        for (String good :
                List.of("a.mp3", "A.WAV", "talk.m4a", "r\u00e9union.ogg", "recording", "trailing.", "dir.v2/clip")) {
            MultipartAudioReader.checkExtension(good);
        }
        MultipartAudioReader.checkExtension(null);
    }

    @Test
    void fileIsCheckedBeforeModel() {
        assertThatThrownBy(() -> TranscriptionOptions.validate(
                        new AudioUpload(Map.of(), Optional.empty()), ModelCatalog.standard(), PROMPT))
                .hasMessage("Missing required parameter: file");
    }

    private static AudioUpload upload(Map<String, String> fields) {
        return new AudioUpload(fields, Optional.of(AUDIO));
    }
}
