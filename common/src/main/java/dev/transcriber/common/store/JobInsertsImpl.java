package dev.transcriber.common.store;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import org.hibernate.Session;
import org.hibernate.StatelessSession;

/** {@link JobInserts} for Spring Data: a fragment of {@link JobRepository}, whose exception translation it shares. */
class JobInsertsImpl implements JobInserts {

    @PersistenceContext
    private EntityManager entities;

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
}
