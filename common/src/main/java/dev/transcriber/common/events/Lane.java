package dev.transcriber.common.events;

/**
 * The queues jobs wait in, most urgent first. A lane has its own topic, its own worker slots and its own share of
 * the upstream accounts, so a caller holding a connection never waits behind a backlog of async or bulk work.
 */
public enum Lane {
    /** Synchronous requests (and their pieces): someone is waiting on an open connection. */
    INTERACTIVE(Topics.JOBS),
    /** Submitted jobs whose owners poll or wait for a webhook. */
    ASYNC(Topics.JOBS + ".async"),
    /** Batches and archives: throughput, not latency. */
    BULK(Topics.JOBS + ".bulk");

    private final String topic;

    Lane(String topic) {
        this.topic = topic;
    }

    public String topic() {
        return topic;
    }

    public String deadLetterTopic() {
        return topic + "-dlt";
    }
}
