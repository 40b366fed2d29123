package dev.transcriber.worker.accounts;

import java.time.Duration;

/** The call, retries and waits included, ran out of its deadline. */
public class DeadlineExceededException extends RuntimeException {

    public DeadlineExceededException(Duration deadline) {
        super("the upstream call did not finish within its deadline of " + deadline);
    }
}
