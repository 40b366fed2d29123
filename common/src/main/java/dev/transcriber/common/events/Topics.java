package dev.transcriber.common.events;

/**
 * Kafka topic names, one place. Kafka carries the jobs to the workers; what the api hears back (a job's end, a piece's
 * progress) comes as PostgreSQL notifications ({@code wakeup.Channel}).
 */
public final class Topics {

    /** {@link JobSubmitted} of the interactive lane, keyed by job id; the other lanes add a suffix ({@link Lane}). */
    public static final String JOBS = "transcription.jobs";

    private Topics() {}
}
