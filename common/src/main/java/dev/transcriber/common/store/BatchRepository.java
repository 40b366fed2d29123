package dev.transcriber.common.store;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Query;

public interface BatchRepository extends JpaRepository<TranscriptionBatch, UUID> {

    /** The batch, locked until the transaction ends: item ends, cancels and expansion steps take turns. */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select b from TranscriptionBatch b where b.id = :id")
    Optional<TranscriptionBatch> lockById(UUID id);

    /** Extends the claims {@code owner} holds on the batches it is expanding. */
    @org.springframework.data.jpa.repository.Modifying
    @Query("update TranscriptionBatch b set b.leaseUntil = :until where b.id in :ids and b.leaseOwner = :owner"
            + " and b.state = dev.transcriber.common.store.BatchState.EXPANDING")
    int renewLeases(java.util.Collection<UUID> ids, String owner, Instant until);

    /** The batches of a key that have not ended (expanding, or in progress). */
    @Query(
            "select b.id from TranscriptionBatch b where b.apiKeyId = :apiKeyId and b.state in"
                    + " (dev.transcriber.common.store.BatchState.EXPANDING, dev.transcriber.common.store.BatchState.IN_PROGRESS)")
    List<UUID> findOpenOfKey(UUID apiKeyId);

    /** Batches waiting to be expanded, oldest first, including those whose expanding worker stopped renewing. */
    @Query("select b.id from TranscriptionBatch b where b.state = dev.transcriber.common.store.BatchState.EXPANDING"
            + " and (b.leaseUntil is null or b.leaseUntil < :now) order by b.createdAt")
    List<UUID> findExpandable(Instant now, Limit limit);
}
