package dev.transcriber.common.wakeup;

/**
 * The PostgreSQL notification channels, one place (like the Kafka topics): a writer notifies one in the transaction
 * that wrote the rows ({@link Wakeups#notify}); every instance listening on it is told once that transaction commits.
 * A notification carries nothing: it only says "look now".
 */
public enum Channel {

    /** Held jobs may be released: one was held, a job that counted against a cap or the bulk window ended, or a batch
     * finished expanding. Job ends notify from the database (the trigger of migration V19). */
    ADMISSION("transcriber_admission"),

    /** A batch waits to be expanded. */
    BATCHES("transcriber_batches"),

    /** A webhook delivery is due: written, or put back by its owner's redelivery. */
    WEBHOOKS("transcriber_webhooks"),

    /** The fleet's view of an upstream account changed: a cooldown, a refused key, a circuit, a reset. */
    ACCOUNTS("transcriber_accounts");

    private final String channel;

    Channel(String channel) {
        this.channel = channel;
    }

    /** The name PostgreSQL knows it by (lower case, so it needs no quoting in {@code LISTEN}). */
    public String channel() {
        return channel;
    }
}
