package dev.transcriber.api.transcription;

import dev.transcriber.common.store.StoredAudio;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed request: its text fields, and the audio already streamed into the object store with the SHA-256 of its
 * bytes (null when there is none).
 */
public record AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio, String sha256) {

    public AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio) {
        this(fields, audio, null);
    }

    public String field(String name) {
        String value = fields.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }
}
