package dev.transcriber.common.store;

/**
 * A speaker the caller named, with the reference clip that shows their voice: the clip is in the object store under
 * {@code objectKey} (its decoded bytes, of type {@code contentType}), never in the job row.
 */
public record KnownSpeaker(String name, String objectKey, String contentType) {

    /** How many known speakers one upstream request may name (OpenAI's limit), the caller's and the worker's. */
    public static final int MAX_PER_REQUEST = 4;
}
