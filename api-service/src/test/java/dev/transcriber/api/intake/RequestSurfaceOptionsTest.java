package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ChunkingStrategy;
import dev.transcriber.common.store.StoredAudio;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** chunking_strategy, include[] and the known speakers, as {@link TranscriptionOptions} checks them. */
class RequestSurfaceOptionsTest {

    private static final StoredAudio AUDIO = new StoredAudio("k", "a.wav", "audio/wav", 100);

    /** The standard models and a diarizing one (the diarization branch adds the real entry). */
    private static final ModelCatalog CATALOG =
            new ModelCatalog(new ArrayList<>(ModelCatalog.standard().models()) {
                {
                    add(new CatalogModel(
                            "test-diarize",
                            "test-diarize",
                            CatalogModel.Billing.TOKENS,
                            Set.of("json", "text"),
                            Duration.ofSeconds(1400),
                            25 * CatalogModel.MB,
                            false,
                            false,
                            true));
                }
            });

    @Test
    void chunkingStrategyInItsThreeSpellings() {
        assertThat(ChunkingStrategies.parse(upload(Map.of("chunking_strategy", List.of("auto")))))
                .isEqualTo(ChunkingStrategy.auto());
        assertThat(ChunkingStrategies.parse(upload(Map.of(
                        "chunking_strategy",
                        List.of("{\"type\":\"server_vad\",\"prefix_padding_ms\":300,\"silence_duration_ms\":200,"
                                + "\"threshold\":0.5}")))))
                .isEqualTo(new ChunkingStrategy("server_vad", 300, 200, 0.5));
        Map<String, List<String>> brackets = new LinkedHashMap<>();
        brackets.put("chunking_strategy[type]", List.of("server_vad"));
        brackets.put("chunking_strategy[threshold]", List.of("0.0"));
        assertThat(ChunkingStrategies.parse(upload(brackets)))
                .isEqualTo(new ChunkingStrategy("server_vad", null, null, 0.0));
        assertThat(ChunkingStrategies.parse(upload(Map.of()))).isNull();
    }

    @Test
    void chunkingStrategyRefusals() {
        refused(
                Map.of("chunking_strategy", List.of("{\"type\":\"semantic_vad\"}")),
                "Invalid value for 'chunking_strategy.type': 'semantic_vad'. Supported values are: 'server_vad'.");
        refused(
                Map.of("chunking_strategy", List.of("{\"threshold\":0.5}")),
                "Missing required parameter: 'chunking_strategy.type'.");
        refused(
                Map.of("chunking_strategy", List.of("{\"type\":\"server_vad\",\"silence_duration_ms\":-1}")),
                "Invalid value for 'chunking_strategy.silence_duration_ms': expected a whole number of milliseconds"
                        + " from 0 to 10000, got '-1'.");
        refused(
                Map.of("chunking_strategy", List.of("{\"type\":\"server_vad\",\"prefix_padding_ms\":2.5}")),
                "Invalid value for 'chunking_strategy.prefix_padding_ms': expected a whole number of milliseconds"
                        + " from 0 to 10000, got '2.5'.");
        refused(
                Map.of(
                        "chunking_strategy[type]",
                        List.of("server_vad"),
                        "chunking_strategy[silence_duration_ms]",
                        List.of("20000")),
                "Invalid value for 'chunking_strategy.silence_duration_ms': expected a whole number of milliseconds"
                        + " from 0 to 10000, got '20000'.");
        refused(
                Map.of("chunking_strategy", List.of("{not json")),
                "Invalid value for 'chunking_strategy': not valid" + " JSON.");
        refused(
                Map.of("chunking_strategy", List.of("auto"), "chunking_strategy[type]", List.of("server_vad")),
                "Give 'chunking_strategy' either as one value or as 'chunking_strategy[...]' fields, not both.");
    }

    @Test
    void diarizationModelsTakeNoPromptAndNeedAChunkingStrategy() {
        assertThat(refusal(Map.of("model", List.of("test-diarize"), "prompt", List.of("hi")))
                        .getMessage())
                .isEqualTo("Prompt is not supported for diarization models");
        ApiException missing = refusal(Map.of("model", List.of("test-diarize")));
        assertThat(missing.getMessage()).isEqualTo("chunking_strategy is required for diarization models");
        assertThat(missing.param()).isEqualTo("chunking_strategy");
        assertThat(refusal(Map.of("model", List.of("test-diarize"), "include[]", List.of("logprobs")))
                        .param())
                .isEqualTo("include[]");
    }

    @Test
    void knownSpeakersArePairedDataUrlsOfShortClips() {
        String clip = dataUrl(wav(2.0));
        Map<String, List<String>> ok = new LinkedHashMap<>();
        ok.put("model", List.of("test-diarize"));
        ok.put("chunking_strategy", List.of("auto"));
        ok.put("known_speaker_names[]", List.of("agent", "customer"));
        ok.put("known_speaker_references[]", List.of(clip, clip));
        AudioUpload upload = upload(ok);
        TranscriptionOptions.validate(upload, CATALOG, 2000);
        List<KnownSpeakers.Clip> clips = TranscriptionOptions.knownSpeakers(upload, CATALOG);
        assertThat(clips).extracting(KnownSpeakers.Clip::name).containsExactly("agent", "customer");
        assertThat(clips.getFirst().contentType()).isEqualTo("audio/wav");
        assertThat(clips.getFirst().audio()).isEqualTo(wav(2.0));

        Map<String, List<String>> unpaired = new LinkedHashMap<>(ok);
        unpaired.put("known_speaker_references[]", List.of(clip));
        assertThat(refusal(unpaired).getMessage())
                .isEqualTo("known_speaker_names[] and known_speaker_references[] are paired by index and must have as"
                        + " many items: got 2 names and 1 references.");

        Map<String, List<String>> notBase64 = new LinkedHashMap<>(ok);
        notBase64.put("known_speaker_names[]", List.of("agent"));
        notBase64.put("known_speaker_references[]", List.of("data:audio/wav;base64,***"));
        assertThat(refusal(notBase64).getMessage())
                .isEqualTo("Invalid 'known_speaker_references[0]': its base64 data cannot be decoded.");

        Map<String, List<String>> url = new LinkedHashMap<>(notBase64);
        url.put("known_speaker_references[]", List.of("https://example.com/a.wav"));
        assertThat(refusal(url).getMessage())
                .isEqualTo("Invalid 'known_speaker_references[0]': expected a data URL of audio in base64"
                        + " (data:audio/wav;base64,...).");

        Map<String, List<String>> tooShort = new LinkedHashMap<>(notBase64);
        tooShort.put("known_speaker_references[]", List.of(dataUrl(wav(0.5))));
        ApiException shortClip = refusal(tooShort);
        assertThat(shortClip.getMessage())
                .isEqualTo("Known speaker references has duration 0.50 seconds, but must be between 1.2 and 10.0"
                        + " seconds");
        assertThat(shortClip.param()).isEqualTo("known_speaker_references[]");
    }

    private static void refused(Map<String, List<String>> fields, String message) {
        assertThatThrownBy(() -> ChunkingStrategies.parse(upload(fields)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(message);
                    assertThat(e.param()).isEqualTo("chunking_strategy");
                    assertThat(e.status().value()).isEqualTo(400);
                });
    }

    private static ApiException refusal(Map<String, List<String>> fields) {
        try {
            TranscriptionOptions.validate(upload(fields), CATALOG, 2000);
        } catch (ApiException e) {
            assertThat(e.status().value()).isEqualTo(400);
            return e;
        }
        throw new AssertionError("not refused: " + fields);
    }

    private static AudioUpload upload(Map<String, List<String>> fields) {
        return new AudioUpload(fields, Optional.of(AUDIO), null);
    }

    private static String dataUrl(byte[] audio) {
        return "data:audio/wav;base64," + Base64.getEncoder().encodeToString(audio);
    }

    /** A silent 16 kHz mono 16-bit WAV of {@code seconds}. */
    private static byte[] wav(double seconds) {
        int data = (int) (seconds * 16_000) * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + data).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes()).putInt(36 + data).put("WAVE".getBytes());
        b.put("fmt ".getBytes())
                .putInt(16)
                .putShort((short) 1)
                .putShort((short) 1)
                .putInt(16_000)
                .putInt(32_000);
        b.putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes()).putInt(data);
        return b.array();
    }
}
