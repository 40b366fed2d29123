package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;

/**
 * The {@code Idempotency-Key} header a submission may carry: at most {@value #MAX_LENGTH} characters, checked before
 * anything of the request is read or stored (a longer key would reach the database's unique index on it, which
 * refuses keys of a few kilobytes, and every caller's retry would send the audio again for the same refusal).
 */
public final class IdempotencyKeys {

    public static final String HEADER = "Idempotency-Key";

    public static final int MAX_LENGTH = 255;

    private IdempotencyKeys() {}

    /** {@code key} (null: none given), or a 400 naming the header when it is too long. */
    public static String checked(String key) {
        if (key != null && key.length() > MAX_LENGTH) {
            throw ApiException.invalidRequest(
                    "Invalid '" + HEADER + "': at most " + MAX_LENGTH + " characters, got " + key.length() + ".",
                    HEADER);
        }
        return key;
    }
}
