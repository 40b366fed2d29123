package dev.transcriber.common.store;

import java.time.Instant;
import java.util.List;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.transaction.annotation.Transactional;

public interface OutboxRepository extends JpaRepository<OutboxMessage, Long> {

    @Query("select m from OutboxMessage m where m.publishedAt is null and m.createdAt < :before order by m.id")
    List<OutboxMessage> findUnpublished(Instant before, Limit limit);

    @Transactional
    @Modifying
    @Query("update OutboxMessage m set m.publishedAt = :at where m.id = :id")
    int markPublished(Long id, Instant at);
}
