package dev.transcriber.api.intake;

/**
 * A new row's write (a job, a batch) ended without the database's answer (the connection lost during its commit), and
 * the look-up that would tell whether it committed failed too. The row may exist: what it would own (its audio, an
 * upload's copy) is kept, and the caller is answered 503 by the cause, to send the request again. Audio of a job that
 * never came is removed later as a stray.
 */
public class OutcomeUnknown extends RuntimeException {

    public OutcomeUnknown(String row, RuntimeException cause) {
        super(row + " may or may not have been recorded: " + cause.getMessage(), cause);
    }
}
