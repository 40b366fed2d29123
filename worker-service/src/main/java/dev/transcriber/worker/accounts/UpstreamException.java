package dev.transcriber.worker.accounts;

import java.time.Instant;

/**
 * An upstream call that did not give a transcript. The subtype says what may be done about it: {@link Retryable}
 * failures are tried again with back-off, {@link RateLimited} and {@link Unauthorized} ones at once on another
 * account (the account cools down or is disabled), {@link Rejected} ones are not tried again.
 */
public abstract sealed class UpstreamException extends RuntimeException
        permits UpstreamException.Retryable,
                UpstreamException.Rejected,
                UpstreamException.RateLimited,
                UpstreamException.Unauthorized {

    private final String accountId;

    UpstreamException(String accountId, String message, Throwable cause) {
        super(message, cause);
        this.accountId = accountId;
    }

    public String accountId() {
        return accountId;
    }

    /** 5xx, 408, timeouts, resets, unreadable bodies: worth another try. */
    public static final class Retryable extends UpstreamException {
        private final String kind;

        public Retryable(String accountId, String kind, String message, Throwable cause) {
            super(accountId, message, cause);
            this.kind = kind;
        }

        /** {@code server_error}, {@code timeout}, {@code connection} or {@code bad_response}. */
        public String kind() {
            return kind;
        }
    }

    /** 429: this account is out of quota until {@link #until}. */
    public static final class RateLimited extends UpstreamException {
        private final Instant until;

        public RateLimited(String accountId, Instant until, String message) {
            super(accountId, message, null);
            this.until = until;
        }

        public Instant until() {
            return until;
        }
    }

    /** 401/403: this account's credentials are refused (401), or this call is (403; see {@link #refusesTheKey}). */
    public static final class Unauthorized extends UpstreamException {
        private final int status;

        public Unauthorized(String accountId, int status, String message) {
            super(accountId, "HTTP " + status + ": " + message, null);
            this.status = status;
        }

        /**
         * A 401: the key itself is refused, for every call. A 403 refuses this call only (OpenAI's answer when the
         * key's project may not use the model asked for, or not from the caller's region).
         */
        public boolean refusesTheKey() {
            return status == 401;
        }
    }

    /** Any other 4xx: the same request would fail again anywhere. */
    public static final class Rejected extends UpstreamException {
        private final int status;

        public Rejected(String accountId, int status, String message) {
            super(accountId, message, null);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
