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

public interface JobRepository extends JpaRepository<TranscriptionJob, UUID>, JobInserts {

    /** The job, locked until the transaction ends (the pieces of one job finish one after another). */
    @Lock(LockModeType.PESSIMISTIC_WRITE)
    @Query("select j from TranscriptionJob j where j.id = :id")
    Optional<TranscriptionJob> lockById(UUID id);

    /** Removes the pieces of a job (whose cutting starts over). */
    @Modifying
    @Query("delete from TranscriptionJob j where j.piece.parentId = :parentId")
    int deletePieces(UUID parentId);

    @Query("select j from TranscriptionJob j where j.apiKeyId = :apiKeyId and j.idempotencyKey = :key")
    Optional<TranscriptionJob> findByIdempotencyKey(UUID apiKeyId, String key);

    /** The pieces of a job, in order. */
    @Query("select j from TranscriptionJob j where j.piece.parentId = :parentId order by j.piece.index")
    List<TranscriptionJob> findPieces(UUID parentId);

    /**
     * Finished jobs of {@code apiKeyId} whose audio was the same (by content hash, or by the URL it was first named
     * by), newest first: candidates for reuse.
     */
    @Query("select j from TranscriptionJob j where j.apiKeyId = :apiKeyId"
            + " and j.state = dev.transcriber.common.store.JobState.SUCCEEDED and j.transcriptJson is not null"
            + " and j.deletedAt is null and j.piece.parentId is null and j.id <> :self"
            + " and (j.contentSha256 = :sha256 or j.audioOrigin = :origin) order by j.finishedAt desc")
    List<TranscriptionJob> findSameAudio(UUID apiKeyId, UUID self, String sha256, String origin, Limit limit);

    /** The items of a batch from place {@code from} on, in order. */
    @Query("select j from TranscriptionJob j where j.batch.batchId = :batchId and j.batch.index >= :from"
            + " order by j.batch.index")
    List<TranscriptionJob> findBatchItems(UUID batchId, int from, Limit limit);

    /** The jobs of a key that wait (held, or queued), batch items and pieces aside. */
    @Query("select j.id from TranscriptionJob j where j.apiKeyId = :apiKeyId and j.state in"
            + " (dev.transcriber.common.store.JobState.HELD, dev.transcriber.common.store.JobState.QUEUED)"
            + " and j.piece.parentId is null and j.batch.batchId is null")
    List<UUID> findWaitingOfKey(UUID apiKeyId);

    /** Which of {@code ids} have ended (succeeded, failed or cancelled). */
    @Query("select j.id from TranscriptionJob j where j.id in :ids and j.state in"
            + " (dev.transcriber.common.store.JobState.SUCCEEDED, dev.transcriber.common.store.JobState.FAILED,"
            + " dev.transcriber.common.store.JobState.CANCELLED)")
    List<UUID> findEnded(Collection<UUID> ids);

    /**
     * Extends leases in one statement, without touching {@code version} (a renewal must not fail the holder's own
     * writes); {@link TranscriptionJob} updates only the columns they change, so they do not write the lease back.
     */
    @Modifying
    @Query("update TranscriptionJob j set j.lease.until = :until where j.id in :ids and j.lease.owner = :owner"
            + " and j.state = dev.transcriber.common.store.JobState.RUNNING")
    int renewLeases(Collection<UUID> ids, String owner, Instant until);

    /**
     * Running jobs whose lease ran out, by id only: each is loaded on its own when recovered, so one row that cannot
     * be loaded does not stop the others' recovery.
     */
    @Query("select j.id from TranscriptionJob j where j.state = dev.transcriber.common.store.JobState.RUNNING"
            + " and j.lease.until < :now order by j.lease.until")
    List<UUID> findExpiredLeases(Instant now, Limit limit);
}
