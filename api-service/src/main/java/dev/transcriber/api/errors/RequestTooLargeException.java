package dev.transcriber.api.errors;

import java.io.IOException;

/**
 * Thrown by a capped request body when the caller sends more than the limit; whoever was reading (a JSON parser)
 * fails, and the caller gets 413 in OpenAI's shape.
 */
public class RequestTooLargeException extends IOException {

    private final long limit;

    public RequestTooLargeException(long limit) {
        super("request body over " + limit + " bytes");
        this.limit = limit;
    }

    public ApiException toApiException() {
        return ApiException.requestTooLarge(limit);
    }
}
