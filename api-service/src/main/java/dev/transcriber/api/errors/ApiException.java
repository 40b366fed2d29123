package dev.transcriber.api.errors;

import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.web.Unavailable;
import java.time.Instant;
import org.springframework.http.HttpStatus;

/** An error the caller sees, in OpenAI's shape. Messages here are written for callers: no internals. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String code;
    private final String param;
    private Instant resetsAt;
    private Integer retryAfterSeconds;

    public ApiException(HttpStatus status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static ApiException invalidRequest(String message, String param) {
        return new ApiException(
                HttpStatus.BAD_REQUEST, "invalid_request_error", "invalid_request_error", param, message);
    }

    /** A value the API knows but this model, format or engine does not support (400, {@code unsupported_value}). */
    public static ApiException unsupportedValue(String param, String message) {
        return new ApiException(HttpStatus.BAD_REQUEST, "invalid_request_error", "unsupported_value", param, message);
    }

    public static ApiException missingParameter(String name) {
        return invalidRequest("Missing required parameter: " + name, name);
    }

    /** The transcript of job {@code id} went with its deletion (404 {@code transcript_deleted}). */
    public static ApiException transcriptDeleted(Object id) {
        return new ApiException(
                HttpStatus.NOT_FOUND,
                "invalid_request_error",
                "transcript_deleted",
                "id",
                "The transcript of job '" + id + "' was deleted.");
    }

    /** The transcript of job {@code id} outlived its retention and was removed (404 {@code transcript_expired}). */
    public static ApiException transcriptExpired(Object id) {
        return new ApiException(
                HttpStatus.NOT_FOUND,
                "invalid_request_error",
                "transcript_expired",
                "id",
                "The transcript of job '" + id + "' has passed its retention period and was removed.");
    }

    /** What a caller sees of a failure of ours: no internals. */
    public static ApiException internal() {
        return new ApiException(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "server_error",
                "internal_error",
                null,
                "The server had an error while processing your request.");
    }

    /** An {@code Idempotency-Key} sent again with a different request. */
    public static ApiException idempotencyKeyReused(String key) {
        return new ApiException(
                HttpStatus.CONFLICT,
                "invalid_request_error",
                "idempotency_key_reused",
                null,
                "The Idempotency-Key '" + key + "' was used for a different request.");
    }

    /**
     * The instance began to shut down before this request made anything (503 {@code shutting_down}; send it with
     * {@code Retry-After}): the same request sent again reaches another instance.
     */
    public static ApiException closing() {
        return new ApiException(
                HttpStatus.SERVICE_UNAVAILABLE,
                "server_error",
                "shutting_down",
                null,
                "This server instance is shutting down and takes no new requests; send the request again.");
    }

    /**
     * The instance is receiving more uploads at once than it has memory for (503 {@code server_busy}; sent with
     * {@code Retry-After}): the same request sent again a moment later, or to another instance, goes through.
     */
    public static ApiException serverBusy() {
        ApiException e = new ApiException(
                HttpStatus.SERVICE_UNAVAILABLE,
                "server_error",
                "server_busy",
                null,
                "The server is receiving more uploads at once than it can hold; send the request again shortly.");
        e.retryAfterSeconds = Unavailable.RETRY_AFTER_SECONDS;
        return e;
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(HttpStatus.UNAUTHORIZED, "invalid_request_error", "invalid_api_key", null, message);
    }

    public static ApiException payloadTooLarge(long maxBytes) {
        return new ApiException(
                HttpStatus.PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "file_too_large",
                "file",
                "The uploaded file is larger than the limit of " + maxBytes + " bytes.");
    }

    /** A request body (JSON) over its limit; the audio's own limit is {@link #payloadTooLarge(long)}. */
    public static ApiException requestTooLarge(long maxBytes) {
        return new ApiException(
                HttpStatus.PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                "request_too_large",
                null,
                "The request body is larger than the limit of " + maxBytes + " bytes.");
    }

    public static ApiException jobFailed(FailureCode failure, String message, Instant resetsAt) {
        ApiException e = new ApiException(
                HttpStatus.valueOf(failure.httpStatus()),
                failure.type(),
                failure.code(),
                failure == FailureCode.INVALID_AUDIO ? "file" : null,
                message);
        e.resetsAt = resetsAt;
        return e;
    }

    /** For a 429: when the limit resets (shown as {@code resets_at}). */
    public ApiException resetsAt(Instant at) {
        this.resetsAt = at;
        return this;
    }

    public Instant resetsAt() {
        return resetsAt;
    }

    /** The {@code Retry-After} its answer carries (null: none): a state of this instance the same request outlives. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public HttpStatus status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}
