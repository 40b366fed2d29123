package dev.transcriber.common.events;

/** Kafka topic names, one place. */
public final class Topics {

    /** {@link JobSubmitted} of the interactive lane, keyed by job id; the other lanes add a suffix ({@link Lane}). */
    public static final String JOBS = "transcription.jobs";

    /** {@link JobFinished}, keyed by job id; every api instance reads all of it. */
    public static final String FINISHED = "transcription.finished";

    /** {@link JobProgress}, keyed by job id; every api instance reads all of it. */
    public static final String PROGRESS = "transcription.progress";

    /**
     * How many partitions {@link #FINISHED} and {@link #PROGRESS} have. The api reads all of them by number, with no
     * consumer group, so the count is fixed here rather than discovered.
     */
    public static final int EVENT_PARTITIONS = 4;

    /** Every partition of {@link #FINISHED} and {@link #PROGRESS}, as a range for {@code @TopicPartition}. */
    public static final String ALL_EVENT_PARTITIONS = "0-" + (EVENT_PARTITIONS - 1);

    private Topics() {}
}
