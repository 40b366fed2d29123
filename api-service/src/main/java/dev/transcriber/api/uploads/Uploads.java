package dev.transcriber.api.uploads;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.StoredAudio;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.util.unit.DataSize;

/**
 * Large uploads that bypass the gateway: a presigned PUT URL to the object store, valid for
 * {@code transcriber.uploads.expiry} (1 h); a job then names the upload's id. The size limit
 * ({@code transcriber.uploads.max-size}, 5 GB) is checked when a job claims the upload (a presigned PUT cannot cap
 * it), on the copy the job then owns ({@link ObjectKeys#claimedUpload}), which no URL can write: what the caller
 * PUTs after the claim changes nothing. An upload serves one job. The object-store work of a claim is done before
 * the job's transaction ({@link #prepare}); the transaction only takes the row ({@link Claim#take}), so no row lock
 * is held while the store answers.
 */
@Service
public class Uploads {

    private final JdbcClient jdbc;
    private final ObjectStore store;
    private final Clock clock;
    private final Duration expiry;
    private final long maxBytes;

    Uploads(
            JdbcClient jdbc,
            ObjectStore store,
            Clock clock,
            @Value("${transcriber.uploads.expiry:1h}") Duration expiry,
            @Value("${transcriber.uploads.max-size:5GB}") DataSize maxSize) {
        this.jdbc = jdbc;
        this.store = store;
        this.clock = clock;
        this.expiry = expiry;
        this.maxBytes = maxSize.toBytes();
    }

    Upload create(Caller caller) {
        String id = "upload_" + UUID.randomUUID().toString().replace("-", "");
        String key = "uploads/" + id;
        Instant now = clock.instant();
        Instant expires = now.plus(expiry);
        jdbc.sql("insert into transcription_uploads (id, api_key_id, object_key, max_bytes, created_at, expires_at)"
                        + " values (:id, :key, :object, :max, :now, :expires)")
                .param("id", id)
                .param("key", caller.keyId())
                .param("object", key)
                .param("max", maxBytes)
                .param("now", Timestamp.from(now))
                .param("expires", Timestamp.from(expires))
                .update();
        return Upload.of(id, store.presignedPut(key, expiry), expires.getEpochSecond(), maxBytes);
    }

    /**
     * Upload {@code id} made ready for a job, with no transaction and no row lock held: it is the caller's, not used
     * yet, not expired, uploaded within the size limit, and copied to a key no URL names (the copy's size checked
     * too: a PUT racing this claim may have changed the object between the two looks). The object-store calls happen
     * here, before the short transaction that {@link Claim#take takes} the upload for a job. When that transaction is
     * not reached, {@link Claim#abandon()} removes the copy: the upload itself is left as it was, claimable.
     */
    public Claim prepare(String id, Caller caller, JobId jobId, String param) {
        var row = jdbc.sql("select object_key, expires_at, used_by from transcription_uploads where id = :id"
                        + " and api_key_id = :key")
                .param("id", id)
                .param("key", caller.keyId())
                .query((rs, n) ->
                        new Object[] {rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getObject(3)})
                .optional()
                .orElseThrow(() -> ApiException.invalidRequest("No upload '" + id + "'.", param));
        String objectKey = (String) row[0];
        if (row[2] != null) {
            throw alreadyUsed(id, param);
        }
        long size = store.size(objectKey)
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Nothing was uploaded to '" + id + "' yet: PUT the audio to its upload_url first.", param));
        if (((Instant) row[1]).isBefore(clock.instant()) && size == 0) {
            throw ApiException.invalidRequest("The upload '" + id + "' has expired.", param);
        }
        checkSize(size, objectKey, param);
        // A copy of its own per claimer: two claims of one upload racing each other never share (or remove) a copy.
        String claimedKey = ObjectKeys.claimedUpload(id, jobId);
        try {
            store.copy(objectKey, claimedKey);
            long claimedSize = store.size(claimedKey).orElse(0L);
            checkSize(claimedSize, claimedKey, param);
            return new Claim(id, caller.keyId(), jobId, objectKey, claimedKey, claimedSize, param);
        } catch (RuntimeException e) {
            deleteQuietly(claimedKey);
            throw e;
        }
    }

    /** Prepared claims that never reached their transaction, or whose transaction failed: their copies go. */
    public void abandon(java.util.Collection<Claim> claims) {
        claims.forEach(Claim::abandon);
    }

    /** An upload copied for a job (see {@link #prepare}), to be taken in the transaction that creates the job. */
    public final class Claim {
        private final String uploadId;
        private final UUID keyId;
        private final JobId jobId;
        private final String uploadedKey;
        private final String claimedKey;
        private final long size;
        private final String param;
        private volatile boolean committed;

        private Claim(
                String uploadId,
                UUID keyId,
                JobId jobId,
                String uploadedKey,
                String claimedKey,
                long size,
                String param) {
            this.uploadId = uploadId;
            this.keyId = keyId;
            this.jobId = jobId;
            this.uploadedKey = uploadedKey;
            this.claimedKey = claimedKey;
            this.size = size;
            this.param = param;
        }

        /**
         * The upload taken by the claiming job, in the caller's transaction, with one conditional update (no object
         * store call): refused when another job took it meanwhile. Once committed the caller's object goes; if the
         * transaction fails, the caller {@linkplain #abandon abandons} the claim (its copy goes, the upload stays
         * claimable) once the row is known not to exist, or {@linkplain #settled settles} it.
         */
        public StoredAudio take() {
            afterTransaction(this);
            int taken = jdbc.sql("update transcription_uploads set used_by = :job"
                            + " where id = :id and api_key_id = :key and used_by is null")
                    .param("job", jobId.value())
                    .param("id", uploadId)
                    .param("key", keyId)
                    .update();
            if (taken == 0) {
                throw alreadyUsed(uploadId, param);
            }
            return new StoredAudio(claimedKey, uploadId, null, size);
        }

        /** The copy goes; the upload is left claimable. Safe to call after {@link #take} rolled back too. */
        public void abandon() {
            deleteQuietly(claimedKey);
        }

        /**
         * The job (or batch) is known to be recorded although its commit went unheard ({@link #take}'s transaction
         * ended without an answer, and the row was found): the caller's object goes now, as a heard commit removes it.
         */
        public void settled() {
            if (!committed) {
                deleteQuietly(uploadedKey);
            }
        }
    }

    private static ApiException alreadyUsed(String id, String param) {
        return ApiException.invalidRequest("The upload '" + id + "' was already used by a job.", param);
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (RuntimeException ignored) {
            // best effort: the object is orphaned, which costs storage, not correctness
        }
    }

    private void checkSize(long size, String objectKey, String param) {
        if (size == 0) {
            throw ApiException.invalidRequest("The audio file is empty.", param);
        }
        if (size > maxBytes) {
            store.delete(objectKey);
            throw new ApiException(
                    HttpStatus.PAYLOAD_TOO_LARGE,
                    "invalid_request_error",
                    "file_too_large",
                    param,
                    "The upload is " + size + " bytes; the limit is " + maxBytes + " bytes.");
        }
    }

    /**
     * Once the transaction commits, the caller's object goes. Otherwise both stay for the caller to decide: a failure
     * is no proof of a rollback (a commit whose answer was lost may have gone through), so the caller abandons the
     * claim ({@link Claim#abandon}) when its row is known not to exist, or settles it ({@link Claim#settled}).
     */
    private void afterTransaction(Claim claim) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("an upload is taken inside the transaction that creates its job");
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                if (status == STATUS_COMMITTED) {
                    claim.committed = true;
                    deleteQuietly(claim.uploadedKey);
                }
            }
        });
    }
}
