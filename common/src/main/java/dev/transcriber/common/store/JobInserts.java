package dev.transcriber.common.store;

/** The insert of a new job row without the persistence context ({@link JobRepository} has it). */
public interface JobInserts {

    /**
     * Inserts {@code job} now, in the current transaction, in one plain statement on the transaction's own
     * connection: no managed copy, no snapshot and no flush-time check of its columns. The job is not managed
     * afterwards: change it through a loaded copy. A unique key it breaks (an idempotency key sent twice at once)
     * surfaces here as a {@link org.springframework.dao.DataIntegrityViolationException}, not at commit.
     */
    void insert(TranscriptionJob job);

    /**
     * As {@link #insert}, outside any transaction: one statement on a connection of its own, committed when it
     * returns. For a job whose creation writes nothing else.
     */
    void insertAlone(TranscriptionJob job);
}
