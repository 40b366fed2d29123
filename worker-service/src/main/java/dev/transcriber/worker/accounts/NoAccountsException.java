package dev.transcriber.worker.accounts;

/** No upstream account can take the call. */
public class NoAccountsException extends RuntimeException {

    public NoAccountsException() {
        super("No upstream accounts available");
    }
}
