package dev.transcriber.common.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.storage.ObjectStoreException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.orm.jpa.JpaSystemException;

/** Which failures are a dependency being down (503 with Retry-After), as the fault suite met them. */
class UnavailableTest {

    @Test
    void aRollbackOnAConnectionClosedUnderItIsTheDatabaseBeingDown() {
        // PostgreSQL stopped mid-transaction: Spring wraps Hibernate's failure to roll back on the pool's closed proxy
        var failure = new JpaSystemException(new org.hibernate.TransactionException(
                "Unable to rollback against JDBC Connection", new SQLException("Connection is closed")));

        assertThat(Unavailable.databaseDown(failure)).isTrue();
        assertThat(Unavailable.dependencyDown(failure)
                        .orElseThrow()
                        .getStatusCode()
                        .value())
                .isEqualTo(503);
    }

    @Test
    void anObjectStoreFailureIsTheStoreBeingDownWhateverItsCause() {
        var reset = new ObjectStoreException("object store: put k failed: Connection reset", new java.io.IOException());

        assertThat(Unavailable.storageDown(reset)).isTrue();
        var answer = Unavailable.dependencyDown(new RuntimeException(reset)).orElseThrow();
        assertThat(answer.getStatusCode().value()).isEqualTo(503);
        assertThat(answer.getHeaders().getFirst("Retry-After")).isNotNull();
        assertThat(new String(answer.getBody())).contains("storage_unavailable");
    }

    @Test
    void aBugIsNotADependencyBeingDown() {
        assertThat(Unavailable.dependencyDown(new IllegalStateException("a bug")))
                .isEmpty();
        assertThat(Unavailable.dependencyDown(new SQLException("syntax error", "42601")))
                .isEmpty();
    }
}
