package dev.transcriber.common.store;

/**
 * Why a job failed, as a stable code shared by the worker (which records it) and the api (which answers with it in
 * the OpenAI error shape).
 */
public enum FailureCode {
    UPSTREAM_ERROR("upstream_error", "server_error", 502),
    NO_ACCOUNTS("no_accounts", "server_error", 503),
    RATE_LIMITED("rate_limit_exceeded", "rate_limit_error", 429),
    INVALID_AUDIO("invalid_request_error", "invalid_request_error", 400),
    /** The job's audio_url stayed unreachable (or answered 5xx) through its retries; the job may be retried. */
    AUDIO_SOURCE_UNAVAILABLE("audio_source_unavailable", "server_error", 502),
    INTERNAL("internal_error", "server_error", 500);

    private final String code;
    private final String type;
    private final int httpStatus;

    FailureCode(String code, String type, int httpStatus) {
        this.code = code;
        this.type = type;
        this.httpStatus = httpStatus;
    }

    public String code() {
        return code;
    }

    public String type() {
        return type;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
