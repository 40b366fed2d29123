package dev.transcriber.common.store;

import jakarta.persistence.LockModeType;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Limit;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Lock;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;

public interface JobRepository extends JpaRepository<TranscriptionJob, UUID> {

    /** The job, locked until the transaction ends (the pieces of one job finish one after another). */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select j from TranscriptionJob j where j.id = :id")
    Optional<TranscriptionJob> lockById(UUID id);

    /** Removes the pieces of a job (whose cutting starts over). */
    @Modifying
    @Query("delete from TranscriptionJob j where j.parentId = :parentId")
    int deletePieces(UUID parentId);

    @Query("select j from TranscriptionJob j where j.apiKeyId = :apiKeyId and j.idempotencyKey = :key")
    Optional<TranscriptionJob> findByIdempotencyKey(UUID apiKeyId, String key);

    /** The pieces of a job, in order. */
    @Query("select j from TranscriptionJob j where j.parentId = :parentId order by j.pieceIndex")
    List<TranscriptionJob> findPieces(UUID parentId);

    @Query("select j.id from TranscriptionJob j where j.id in :ids and j.state in :states")
    List<UUID> findIdsInStates(Collection<UUID> ids, Collection<JobState> states);

    @Modifying
    @Query("update TranscriptionJob j set j.leaseUntil = :until where j.id in :ids and j.leaseOwner = :owner"
            + " and j.state = dev.transcriber.common.store.JobState.RUNNING")
    int renewLeases(Collection<UUID> ids, String owner, Instant until);

    @Query("select j from TranscriptionJob j where j.state = dev.transcriber.common.store.JobState.RUNNING"
            + " and j.leaseUntil < :now order by j.leaseUntil")
    List<TranscriptionJob> findExpiredLeases(Instant now, Limit limit);
}
