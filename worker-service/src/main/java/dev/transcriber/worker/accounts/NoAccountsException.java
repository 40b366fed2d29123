package dev.transcriber.worker.accounts;

/** No upstream account can take the call. */
public class NoAccountsException extends RuntimeException {

    public NoAccountsException() {
        this("No upstream accounts available");
    }

    public NoAccountsException(String message) {
        super(message);
    }
}
