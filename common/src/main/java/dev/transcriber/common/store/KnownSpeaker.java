package dev.transcriber.common.store;

import java.util.List;

/**
 * A speaker the caller named, with the reference clip that shows their voice: the clip is in the object store under
 * {@code objectKey} (its decoded bytes, of type {@code contentType}), never in the job row.
 */
public record KnownSpeaker(String name, String objectKey, String contentType) {

    /** How many known speakers one upstream request may name (OpenAI's limit), the caller's and the worker's. */
    public static final int MAX_PER_REQUEST = 4;

    /** The known speakers as the job row stores them (a JSON array, null for none); empty when none. */
    public static List<KnownSpeaker> fromStored(String stored) {
        List<KnownSpeaker> speakers = KnownSpeakersConverter.read(stored);
        return speakers == null ? List.of() : speakers;
    }
}
