package dev.transcriber.common.store;

import java.util.Collection;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Transactional;

/** The outbox's rows; taking and handing back their leases is {@code Outbox}'s SQL. */
public interface OutboxRepository extends JpaRepository<OutboxMessage, Long> {

    @Transactional
    @Modifying
    @Query("delete from OutboxMessage m where m.id in :ids")
    int deleteSent(Collection<Long> ids);
}
