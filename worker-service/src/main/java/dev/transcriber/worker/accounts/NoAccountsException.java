package dev.transcriber.worker.accounts;

/** No upstream account can take the call. */
public class NoAccountsException extends RuntimeException {

    public NoAccountsException() {
        this("No upstream accounts available");
    }

    public NoAccountsException(String message) {
        super(message);
    }

    /** Every account that serves the model has refused this call already (403): none is left to ask. */
    public static final class EveryOneRefused extends NoAccountsException {
        EveryOneRefused() {
            super("Every upstream account that serves the model refused this call");
        }
    }
}
