package dev.transcriber.api.transcription;

import dev.transcriber.common.store.StoredAudio;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A parsed request: its text fields, and the audio already streamed into the object store with the SHA-256 of its
 * bytes (null when there is none).
 */
public record AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio, String sha256) {

    public AudioUpload(Map<String, String> fields, Optional<StoredAudio> audio) {
        this(fields, audio, null);
    }

    /**
     * A digest of the request, for {@code Idempotency-Key}: its fields in name order and the file's SHA-256. The same
     * request sent again has the same digest, on the sync and the async endpoint alike.
     */
    public String requestHash() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((new TreeMap<>(fields) + "|file:" + sha256).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public String field(String name) {
        String value = fields.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }
}
