package dev.transcriber.worker.accounts;

/**
 * An upstream call that did not give a transcript. The subtype says what may be done about it: {@link Retryable}
 * failures are tried again (on another account where possible), {@link Rejected} ones are not.
 */
public abstract sealed class UpstreamException extends RuntimeException
        permits UpstreamException.Retryable, UpstreamException.Rejected {

    private final String accountId;

    UpstreamException(String accountId, String message, Throwable cause) {
        super(message, cause);
        this.accountId = accountId;
    }

    public String accountId() {
        return accountId;
    }

    /** 5xx, 408, 429, timeouts, resets, unreadable bodies: worth another try. */
    public static final class Retryable extends UpstreamException {
        public Retryable(String accountId, String message, Throwable cause) {
            super(accountId, message, cause);
        }
    }

    /** Any other 4xx: the same request would fail again. */
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
