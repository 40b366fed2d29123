package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.transcription.AudioUpload;
import dev.transcriber.api.transcription.MultipartAudioReader;
import dev.transcriber.api.transcription.TranscriptionOptions;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.net.DisallowedAddressException;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.webhooks.JobWebhooks;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What owners do to their async jobs: submit (multipart, as the sync endpoint), cancel, retry a failed one from its
 * stored audio, delete (audio and transcript removed, a tombstone stays). Each change is one transaction with its
 * event in the outbox; objects are removed after the commit.
 */
@Service
class JobCommands {

    static final int MAX_METADATA = 16;

    private final MultipartAudioReader reader;
    private final ModelCatalog catalog;
    private final ObjectStore store;
    private final JobRepository jobs;
    private final JobQueries queries;
    private final Outbox outbox;
    private final TransactionTemplate transactions;
    private final JobWebhooks webhooks;
    private final AddressPolicy addresses;
    private final Clock clock;

    JobCommands(
            MultipartAudioReader reader,
            ModelCatalog catalog,
            ObjectStore store,
            JobRepository jobs,
            JobQueries queries,
            Outbox outbox,
            TransactionTemplate transactions,
            JobWebhooks webhooks,
            AddressPolicy addresses,
            Clock clock) {
        this.reader = reader;
        this.catalog = catalog;
        this.store = store;
        this.jobs = jobs;
        this.queries = queries;
        this.outbox = outbox;
        this.transactions = transactions;
        this.webhooks = webhooks;
        this.addresses = addresses;
        this.clock = clock;
    }

    JobView submit(Caller caller, HttpServletRequest request) {
        JobId jobId = JobId.random();
        AudioUpload upload = reader.read(request, ObjectKeys.sourceAudio(jobId));
        JobSpec spec;
        Map<String, String> metadata;
        String webhookUrl;
        try {
            spec = TranscriptionOptions.validate(upload, catalog);
            if (TranscriptionOptions.stream(upload)) {
                throw ApiException.invalidRequest(
                        "stream=true is for POST /v1/audio/transcriptions; a job is fetched when it is done.",
                        "stream");
            }
            metadata = metadata(upload.fields());
            webhookUrl = webhookUrl(upload.field("webhook_url"), addresses);
        } catch (ApiException e) {
            upload.audio().ifPresent(audio -> store.delete(audio.objectKey()));
            throw e;
        }
        StoredAudio audio = upload.audio().orElseThrow();
        try {
            return transactions.execute(status -> {
                TranscriptionJob job = jobs.save(TranscriptionJob.submitted(
                        jobId, caller.keyId(), Lane.ASYNC, spec, audio, metadata, webhookUrl, clock.instant()));
                outbox.add(Lane.ASYNC.topic(), jobId.toString(), new JobSubmitted(jobId));
                return queries.view(job);
            });
        } catch (RuntimeException e) {
            store.delete(audio.objectKey());
            throw e;
        }
    }

    JobView cancel(JobId id, Caller caller) {
        return transactions.execute(status -> {
            TranscriptionJob job = queries.ownedForUpdate(id, caller);
            if (job.state() == JobState.SUCCEEDED || job.state() == JobState.FAILED) {
                throw conflict("The job has already " + job.state().name().toLowerCase() + "; it cannot be cancelled.");
            }
            if (job.state() != JobState.CANCELLED) {
                job.cancel(clock.instant());
                outbox.add(Topics.FINISHED, id.toString(), new JobFinished(id, JobState.CANCELLED.name()));
                webhooks.jobEnded(job);
            }
            return queries.view(job);
        });
    }

    JobView retry(JobId id, Caller caller) {
        return transactions.execute(status -> {
            TranscriptionJob job = queries.ownedForUpdate(id, caller);
            if (job.state() != JobState.FAILED) {
                throw conflict("Only a failed job can be retried; this one is "
                        + job.state().name().toLowerCase() + ".");
            }
            if (job.failureCode() == FailureCode.INVALID_AUDIO
                    || store.size(job.audio().objectKey()).isEmpty()) {
                throw conflict("The job's audio is gone (it could not be transcribed); submit it again.");
            }
            job.retry();
            outbox.add(job.lane().topic(), id.toString(), new JobSubmitted(id));
            return queries.view(job);
        });
    }

    Map<String, Object> delete(JobId id, Caller caller) {
        List<String> objects = transactions.execute(status -> {
            TranscriptionJob job = queries.ownedForUpdate(id, caller);
            boolean wasRunning = !job.state().isTerminal();
            job.delete(clock.instant());
            if (wasRunning) {
                outbox.add(Topics.FINISHED, id.toString(), new JobFinished(id, JobState.CANCELLED.name()));
                webhooks.jobEnded(job);
            }
            List<String> keys = new java.util.ArrayList<>(jobs.findPieces(id.value()).stream()
                    .map(p -> p.audio().objectKey())
                    .toList());
            keys.add(job.audio().objectKey());
            return keys;
        });
        objects.forEach(key -> {
            try {
                store.delete(key);
            } catch (RuntimeException ignored) {
                // already gone, or the store is down: the retention sweeper removes it later
            }
        });
        Map<String, Object> deleted = new LinkedHashMap<>();
        deleted.put("id", id.toString());
        deleted.put("object", "transcription_job.deleted");
        deleted.put("deleted", true);
        return deleted;
    }

    /** Form fields {@code metadata[key]}: at most 16, keys up to 64 characters, values up to 512. */
    static Map<String, String> metadata(Map<String, String> fields) {
        Map<String, String> metadata = new LinkedHashMap<>();
        fields.forEach((name, value) -> {
            if (name.startsWith("metadata[") && name.endsWith("]")) {
                String key = name.substring("metadata[".length(), name.length() - 1);
                if (key.isEmpty() || key.length() > 64 || value.length() > 512) {
                    throw ApiException.invalidRequest(
                            "Invalid metadata: keys are 1 to 64 characters and values at most 512.", "metadata");
                }
                metadata.put(key, value);
            }
        });
        if (metadata.size() > MAX_METADATA) {
            throw ApiException.invalidRequest(
                    "Invalid metadata: at most " + MAX_METADATA + " pairs, got " + metadata.size() + ".", "metadata");
        }
        return metadata;
    }

    /** An http(s) URL the gateway may call (checked again at each delivery: DNS can change). */
    static String webhookUrl(String value, AddressPolicy addresses) {
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'webhook_url': expected an http or https URL, got '" + value + "'.",
                    "webhook_url");
        }
        try {
            addresses.check(uri);
        } catch (DisallowedAddressException e) {
            throw ApiException.invalidRequest(
                    "Invalid value for 'webhook_url': " + e.getMessage() + ".", "webhook_url");
        }
        return value;
    }

    private static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, "invalid_request_error", "invalid_state", null, message);
    }
}
