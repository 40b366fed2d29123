package dev.transcriber.common.store;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.PersistenceUnit;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** {@link JobInserts} for Spring Data: a fragment of {@link JobRepository}, whose exception translation it shares. */
class JobInsertsImpl implements JobInserts {

    @PersistenceContext
    private EntityManager entities;

    @PersistenceUnit
    private EntityManagerFactory factory;

    @Override
    public void insert(TranscriptionJob job) {
        try (StatelessSession rows = entities.unwrap(Session.class)
                .statelessWithOptions()
                .connection()
                .open()) {
            rows.setJdbcBatchSize(0); // executed now, not held for a batch
            rows.insert(job);
        }
    }

    @Override
    public void insertAlone(TranscriptionJob job) {
        if (TransactionSynchronizationManager.isActualTransactionActive()) {
            throw new IllegalStateException("insertAlone in a transaction: it would commit on a connection of its own");
        }
        try (StatelessSession rows = factory.unwrap(SessionFactory.class).openStatelessSession()) {
            rows.setJdbcBatchSize(0);
            rows.insert(job);
        }
    }
}
