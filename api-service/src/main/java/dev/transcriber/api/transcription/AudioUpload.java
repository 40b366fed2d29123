package dev.transcriber.api.transcription;

import dev.transcriber.common.store.StoredAudio;
import java.util.Map;
import java.util.Optional;

/** A parsed multipart request: its text fields, and the audio already streamed into the object store. */
public record AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio) {

    public String field(String name) {
        String value = fields.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }
}
