package dev.transcriber.common.events;

/** Kafka topic names, one place. */
public final class Topics {

    /** {@link JobSubmitted} of the interactive lane, keyed by job id; the other lanes add a suffix ({@link Lane}). */
    public static final String JOBS = "transcription.jobs";

    /** {@link JobFinished}, keyed by job id; every api instance reads all of it. */
    public static final String FINISHED = "transcription.finished";

    /** {@link JobProgress}, keyed by job id; every api instance reads all of it. */
    public static final String PROGRESS = "transcription.progress";

    private Topics() {}
}
