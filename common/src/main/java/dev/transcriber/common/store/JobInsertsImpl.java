package dev.transcriber.common.store;

import java.util.Collections;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * {@link JobInserts} for Spring Data: a fragment of {@link JobRepository}. One plain JDBC insert of every column
 * ({@link TranscriptionJob#INSERT_COLUMNS}), on the transaction's own connection when there is one (JPA's transaction
 * manager shares it with JDBC), else on a connection of its own in auto-commit. The connection's server process is
 * noted on the job ({@link TranscriptionJob#writerBackend}). Hibernate's insert, even through a
 * stateless session, cost more than the statement: a session opened and closed, each value read and the
 * version written back by reflection, the insert's parts put together anew.
 */
class JobInsertsImpl implements JobInserts {

    private static final String INSERT = "insert into transcription_jobs ("
            + String.join(", ", TranscriptionJob.INSERT_COLUMNS) + ") values ("
            + String.join(", ", Collections.nCopies(TranscriptionJob.INSERT_COLUMNS.size(), "?")) + ")";

    private final JdbcTemplate jdbc;

    JobInsertsImpl(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void insert(TranscriptionJob job) {
        job.requireNew();
        jdbc.update(INSERT, insert -> {
            job.writtenBy(WriterBackend.of(insert.getConnection())); // kept for a failure whose commit is in doubt
            job.bindInsert(insert);
        });
        job.inserted();
    }

    @Override
    public void insertAlone(TranscriptionJob job) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("insertAlone in a transaction: it would commit on a connection of its own");
        }
        insert(job);
    }
}
