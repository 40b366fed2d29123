package dev.transcriber.common.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Transactional;

public interface OutboxRepository extends JpaRepository<OutboxMessage, Long> {

    @Query("select m from OutboxMessage m where m.createdAt < :before order by m.id")
    List<OutboxMessage> findOlderThan(Instant before, Limit limit);

    @Transactional
    @Modifying
    @Query("delete from OutboxMessage m where m.id in :ids")
    int deleteSent(Collection<Long> ids);
}
