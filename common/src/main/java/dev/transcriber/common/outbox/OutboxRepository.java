package dev.transcriber.common.outbox;

import org.springframework.data.jpa.repository.JpaRepository;

/** The outbox's rows as entities, for reading them; {@code Outbox} writes, leases and deletes them with its own SQL. */
public interface OutboxRepository extends JpaRepository<OutboxMessage, Long> {}
