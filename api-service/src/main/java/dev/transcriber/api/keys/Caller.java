package dev.transcriber.api.keys;

import java.util.UUID;

/** The authenticated caller of a request, put on the request by {@link ApiKeyFilter}. */
public record Caller(UUID keyId, String keyName) {

    public static final String ATTRIBUTE = "dev.transcriber.api.keys.Caller";
}
