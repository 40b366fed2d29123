package dev.transcriber.api.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.orm.jpa.JpaSystemException;
import org.springframework.transaction.CannotCreateTransactionException;

/** Which failures of a new row's write leave its commit in doubt: the connection lost, and nothing else. */
class CommitInDoubtTest {

    @Test
    void theConnectionLostWhileTheWriteWasOnItsWayLeavesItInDoubt() {
        var io = new SQLException("An I/O error occurred while sending to the backend.", "08006", new EOFException());
        assertThat(CommitInDoubt.inDoubt(new DataAccessResourceFailureException("insert", io)))
                .isTrue();
        assertThat(CommitInDoubt.inDoubt(new JpaSystemException(new RuntimeException(
                        "Unable to commit against JDBC Connection", new SQLException("Connection is closed")))))
                .isTrue();
        assertThat(CommitInDoubt.inDoubt(new DataAccessResourceFailureException(
                        "commit", new SQLException("terminating connection due to administrator command", "57P01"))))
                .isTrue();
    }

    @Test
    void anAnswerOfTheServerOrNoConnectionAtAllIsCertain() {
        assertThat(CommitInDoubt.inDoubt(new CannotGetJdbcConnectionException(
                        "no connection", new SQLException("Connection refused", "08001"))))
                .as("never connected: nothing was sent")
                .isFalse();
        assertThat(CommitInDoubt.inDoubt(
                        new CannotCreateTransactionException("begin", new SQLException("Connection refused", "08001"))))
                .isFalse();
        assertThat(CommitInDoubt.inDoubt(
                        new QueryTimeoutException("insert", new SQLException("canceling statement", "57014"))))
                .as("a statement timeout is the server's answer")
                .isFalse();
        assertThat(CommitInDoubt.inDoubt(new DataAccessResourceFailureException(
                        "insert", new SQLException("could not extend file: No space left on device", "53100"))))
                .isFalse();
        assertThat(CommitInDoubt.inDoubt(
                        new DuplicateKeyException("insert", new SQLException("duplicate key value", "23505"))))
                .isFalse();
        assertThat(CommitInDoubt.inDoubt(new IllegalStateException("a bug"))).isFalse();
    }
}
