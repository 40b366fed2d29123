package dev.transcriber.common.events;

/** Kafka topic names, one place. */
public final class Topics {

    /** {@link JobSubmitted}, keyed by job id. */
    public static final String JOBS = "transcription.jobs";

    /** {@link JobFinished}, keyed by job id; every api instance reads all of it. */
    public static final String FINISHED = "transcription.finished";

    private Topics() {}
}
