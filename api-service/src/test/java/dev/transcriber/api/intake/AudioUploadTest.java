package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.api.errors.ApiException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AudioUploadTest {

    @Test
    void bracketedAndBareNamesAreOneFieldWithItsValuesInOrder() {
        Map<String, List<String>> sent = new LinkedHashMap<>();
        sent.put("known_speaker_names[]", List.of("agent, senior", "customer"));
        sent.put("known_speaker_names", List.of("third"));
        sent.put("chunking_strategy[type]", List.of("server_vad"));
        AudioUpload upload = new AudioUpload(sent, Optional.empty(), null);

        assertThat(upload.list("known_speaker_names[]")).containsExactly("agent, senior", "customer", "third");
        assertThat(upload.list("known_speaker_names")).containsExactly("agent, senior", "customer", "third");
        assertThat(upload.field("chunking_strategy[type]")).isEqualTo("server_vad");
        assertThat(upload.withPrefix("chunking_strategy[")).containsOnlyKeys("chunking_strategy[type]");
        assertThat(upload.list("include")).isEmpty();
        assertThat(upload.has("known_speaker_names[]")).isTrue();
    }

    @Test
    void aOneValueFieldSentTwiceIsRefused() {
        AudioUpload upload =
                new AudioUpload(Map.of("model[]", List.of("whisper-1", "whisper-1")), Optional.empty(), null);

        assertThatThrownBy(() -> upload.field("model")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.getMessage()).isEqualTo("Expected one value for 'model', got 2.");
            assertThat(e.param()).isEqualTo("model");
        });
    }

    @Test
    void theRequestHashTellsValuesApartFromTheirCommaJoinedForm() {
        AudioUpload two = new AudioUpload(Map.of("include", List.of("a", "b")), Optional.empty(), "f");
        AudioUpload joined = new AudioUpload(Map.of("include", List.of("a,b")), Optional.empty(), "f");
        AudioUpload again = new AudioUpload(Map.of("include[]", List.of("a", "b")), Optional.empty(), "f");

        assertThat(two.requestHash()).isNotEqualTo(joined.requestHash()).isEqualTo(again.requestHash());
    }
}
