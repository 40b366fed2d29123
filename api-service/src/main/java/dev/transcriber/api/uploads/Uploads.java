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
import java.util.LinkedHashMap;
import java.util.Map;
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
 * PUTs after the claim changes nothing. An upload serves one job.
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

    Map<String, Object> create(Caller caller) {
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
        Map<String, Object> upload = new LinkedHashMap<>();
        upload.put("id", id);
        upload.put("object", "transcription_upload");
        upload.put("upload_url", store.presignedPut(key, expiry));
        upload.put("method", "PUT");
        upload.put("expires_at", expires.getEpochSecond());
        upload.put("max_bytes", maxBytes);
        return upload;
    }

    /**
     * The audio of upload {@code id}, taken by job {@code jobId}: the caller's, not expired, not used before, and
     * uploaded within the size limit. Call inside the transaction that creates the job.
     */
    public StoredAudio claim(String id, Caller caller, JobId jobId) {
        return claim(id, caller, jobId, "upload_id");
    }

    /** As {@link #claim(String, Caller, JobId)}, naming the request's field {@code param} in errors. */
    public StoredAudio claim(String id, Caller caller, JobId jobId, String param) {
        var row = jdbc.sql("select object_key, expires_at, used_by from transcription_uploads where id = :id"
                        + " and api_key_id = :key for update")
                .param("id", id)
                .param("key", caller.keyId())
                .query((rs, n) ->
                        new Object[] {rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getObject(3)})
                .optional()
                .orElseThrow(() -> ApiException.invalidRequest("No upload '" + id + "'.", param));
        String objectKey = (String) row[0];
        if (row[2] != null) {
            throw ApiException.invalidRequest("The upload '" + id + "' was already used by a job.", param);
        }
        long size = store.size(objectKey)
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Nothing was uploaded to '" + id + "' yet: PUT the audio to its upload_url first.", param));
        if (((Instant) row[1]).isBefore(clock.instant()) && size == 0) {
            throw ApiException.invalidRequest("The upload '" + id + "' has expired.", param);
        }
        checkSize(size, objectKey, param);
        // The presigned URL stays valid until it expires: the claim takes a copy it does not name, and checks the
        // copy's size (a PUT racing this claim may have changed the object between the two looks).
        String claimedKey = ObjectKeys.claimedUpload(id);
        store.copy(objectKey, claimedKey);
        long claimedSize = store.size(claimedKey).orElse(0L);
        try {
            checkSize(claimedSize, claimedKey, param);
        } catch (ApiException e) {
            store.delete(claimedKey);
            throw e;
        }
        afterTransaction(objectKey, claimedKey);
        jdbc.sql("update transcription_uploads set used_by = :job where id = :id")
                .param("job", jobId.value())
                .param("id", id)
                .update();
        return new StoredAudio(claimedKey, id, null, claimedSize);
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

    /** Once the claim is committed the caller's object goes; if it rolls back, the copy goes instead. */
    private void afterTransaction(String uploaded, String claimed) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                try {
                    store.delete(status == STATUS_COMMITTED ? uploaded : claimed);
                } catch (RuntimeException ignored) {
                    // best effort: the object is orphaned, which costs storage, not correctness
                }
            }
        });
    }
}
