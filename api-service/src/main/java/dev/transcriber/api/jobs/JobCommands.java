package dev.transcriber.api.jobs;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.intake.AudioUpload;
import dev.transcriber.api.intake.IdempotencyKeys;
import dev.transcriber.api.intake.JobSubmission;
import dev.transcriber.api.intake.MultipartAudioReader;
import dev.transcriber.api.intake.OutcomeUnknown;
import dev.transcriber.api.intake.SpeakerClips;
import dev.transcriber.api.intake.TranscriptionOptions;
import dev.transcriber.api.intake.UploadsInProgress;
import dev.transcriber.api.keys.ApiKeys;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.KeyLimits;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.api.models.EngineSupport;
import dev.transcriber.api.uploads.Uploads;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.lifecycle.JobEnds;
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
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * What owners do to their async jobs: submit (multipart, as the sync endpoint), cancel, retry a failed one from its
 * stored audio, delete (audio and transcript removed, a tombstone stays). Each change is one transaction with its
 * event in the outbox; objects are removed after the commit.
 */
@Service
class JobCommands {

    private final MultipartAudioReader reader;
    private final ModelCatalog catalog;
    private final ObjectStore store;
    private final JobRepository jobs;
    private final JobQueries queries;
    private final Outbox outbox;
    private final TransactionTemplate transactions;
    private final Uploads uploads;
    private final KeyLimits limits;
    private final JsonMapper json;
    private final JobEnds ends;
    private final AddressPolicy addresses;
    private final JobSubmission submission;
    private final ApiKeys keys;
    private final Clock clock;
    private final int maxPromptLength;
    private final EngineSupport engines;
    private final UploadsInProgress uploadsInProgress;

    JobCommands(
            MultipartAudioReader reader,
            ModelCatalog catalog,
            ObjectStore store,
            JobRepository jobs,
            JobQueries queries,
            Outbox outbox,
            TransactionTemplate transactions,
            Uploads uploads,
            KeyLimits limits,
            JsonMapper json,
            JobEnds ends,
            AddressPolicy addresses,
            JobSubmission submission,
            ApiKeys keys,
            Clock clock,
            ApiProperties properties,
            EngineSupport engines,
            UploadsInProgress uploadsInProgress) {
        this.uploadsInProgress = uploadsInProgress;
        this.engines = engines;
        this.keys = keys;
        this.maxPromptLength = properties.maxPromptLength();
        this.submission = submission;
        this.reader = reader;
        this.catalog = catalog;
        this.store = store;
        this.jobs = jobs;
        this.queries = queries;
        this.outbox = outbox;
        this.transactions = transactions;
        this.uploads = uploads;
        this.limits = limits;
        this.json = json;
        this.ends = ends;
        this.addresses = addresses;
        this.clock = clock;
    }

    /** A submission's outcome: the job, and whether it is an earlier job replayed for the same idempotency key. */
    record Submitted(JobView job, boolean replayed) {}

    /** Multipart, as the sync endpoint takes it, plus {@code metadata[...]} and {@code webhook_url}. */
    Submitted submit(Caller caller, HttpServletRequest request, String idempotencyKey) {
        IdempotencyKeys.checked(idempotencyKey);
        JobId jobId = JobId.random();
        AudioUpload upload;
        KeyLimits.Admission admission;
        try (UploadsInProgress.Permit permit = uploadsInProgress.start(caller)) { // before anything costs a round trip
            admission = limits.checkBeforeSubmit(caller);
            upload = reader.read(request, ObjectKeys.sourceAudio(jobId));
        }
        Draft draft;
        try {
            refuseOtherAudio(upload);
            JobSpec validated = TranscriptionOptions.validateJob(upload, catalog, maxPromptLength);
            caller.checkModel(validated.model(), catalog);
            engines.check(validated);
            refuseStream(upload);
            Map<String, String> metadata = JobFields.metadataFields(upload.fields());
            String webhookUrl = JobFields.webhookUrl(upload.field("webhook_url"), addresses);
            // the known speakers' clips are stored last: nothing refuses the request after them
            JobSpec spec =
                    SpeakerClips.store(store, jobId, validated, TranscriptionOptions.knownSpeakers(upload, catalog));
            draft = new Draft(
                    jobId,
                    spec,
                    metadata,
                    webhookUrl,
                    null,
                    null,
                    upload.audio().orElseThrow(),
                    upload.sha256(),
                    upload.requestHash());
        } catch (RuntimeException e) { // a refusal, or the store failing while it kept the known speakers' clips
            upload.audio().ifPresent(audio -> store.delete(audio.objectKey()));
            throw e;
        }
        return create(caller, draft, idempotencyKey, true, admission);
    }

    /** JSON, with the audio from {@code audio_url} or {@code upload_id}. */
    Submitted submit(Caller caller, JobRequest request, String idempotencyKey) {
        IdempotencyKeys.checked(idempotencyKey);
        KeyLimits.Admission admission = limits.checkBeforeSubmit(caller);
        if ((request.audio_url() == null) == (request.upload_id() == null)) {
            throw ApiException.invalidRequest(
                    "Give the audio as exactly one of 'audio_url' or 'upload_id' (or send multipart with 'file').",
                    request.audio_url() == null ? "audio_url" : "upload_id");
        }
        JobSpec spec = JobFields.spec(request, catalog, maxPromptLength);
        caller.checkModel(spec.model(), catalog);
        engines.check(spec);
        String audioUrl = null;
        if (request.audio_url() != null) {
            try {
                addresses.check(URI.create(request.audio_url()));
            } catch (DisallowedAddressException | IllegalArgumentException e) {
                throw ApiException.invalidRequest(
                        "Invalid value for 'audio_url': " + e.getMessage() + ".", "audio_url");
            }
            audioUrl = request.audio_url();
        }
        JobId jobId = JobId.random();
        Draft draft = new Draft(
                jobId,
                spec,
                JobFields.metadata(request.metadata()),
                JobFields.webhookUrl(request.webhook_url(), addresses),
                audioUrl,
                request.upload_id(),
                new StoredAudio(ObjectKeys.sourceAudio(jobId), fileName(request.audio_url()), null, 0),
                null,
                hash(json.writeValueAsString(request)));
        return create(caller, draft, idempotencyKey, false, admission);
    }

    /** Everything a new job needs, validated. */
    private record Draft(
            JobId id,
            JobSpec spec,
            Map<String, String> metadata,
            String webhookUrl,
            String audioUrl,
            String uploadId,
            StoredAudio audio,
            String contentSha256,
            String requestHash) {}

    private Submitted create(
            Caller caller, Draft draft, String idempotencyKey, boolean ownsAudio, KeyLimits.Admission admission) {
        if (idempotencyKey != null) {
            Optional<Submitted> earlier;
            try {
                earlier = replay(caller, idempotencyKey, draft.requestHash());
            } catch (RuntimeException e) { // the key reused for another request (409): nothing of this one stays
                discard(draft, ownsAudio, null);
                throw e;
            }
            if (earlier.isPresent()) {
                if (ownsAudio) {
                    store.delete(draft.audio().objectKey()); // the earlier job has this audio already
                }
                SpeakerClips.delete(store, draft.spec());
                return earlier.get();
            }
        }
        // The upload's object-store work (checks and the copy) before the transaction: no row lock waits on S3.
        Uploads.Claim claim =
                draft.uploadId() == null ? null : uploads.prepare(draft.uploadId(), caller, draft.id(), "upload_id");
        TranscriptionJob job;
        try {
            if (claim == null) {
                // nothing but the job to write: recorded as the sync path records its own (one insert when it can be)
                job = submission.record(caller, newJob(caller, draft, draft.audio(), idempotencyKey), admission);
            } else {
                job = submission.inTransaction(
                        draft.id(),
                        () -> submission.save(caller, newJob(caller, draft, claim.take(), idempotencyKey), admission));
                claim.settled();
            }
        } catch (OutcomeUnknown e) {
            throw e; // the job may exist: what it would own stays (a stray's audio is removed later)
        } catch (DataIntegrityViolationException e) {
            discard(draft, ownsAudio, claim);
            // the same key submitted at the same moment by another request: answer as a replay of that one
            return replay(caller, idempotencyKey, draft.requestHash()).orElseThrow(() -> e);
        } catch (RuntimeException e) {
            discard(draft, ownsAudio, claim);
            throw e;
        }
        // the job is recorded: from here nothing of it is discarded
        return new Submitted(queries.view(job, Scope.of(caller)), false);
    }

    private TranscriptionJob newJob(Caller caller, Draft draft, StoredAudio audio, String idempotencyKey) {
        TranscriptionJob job = TranscriptionJob.submitted(
                draft.id(),
                caller.keyId(),
                Lane.ASYNC,
                draft.spec(),
                audio,
                draft.metadata(),
                draft.webhookUrl(),
                clock.instant());
        if (draft.audioUrl() != null) {
            job.fetchFrom(draft.audioUrl());
        }
        job.contentHash(draft.contentSha256());
        if (idempotencyKey != null) {
            job.idempotent(idempotencyKey, draft.requestHash());
        }
        return job;
    }

    /** A job not created: the audio it would have owned goes, and an upload's copy (the upload stays claimable). */
    private void discard(Draft draft, boolean ownsAudio, Uploads.Claim claim) {
        if (ownsAudio) {
            store.delete(draft.audio().objectKey());
        }
        SpeakerClips.delete(store, draft.spec());
        if (claim != null) {
            claim.abandon();
        }
    }

    /** The job created earlier with this key: the same job for the same request, a 409 for a different one. */
    private Optional<Submitted> replay(Caller caller, String idempotencyKey, String requestHash) {
        return transactions.execute(status -> jobs.findByIdempotencyKey(caller.keyId(), idempotencyKey)
                .map(job -> {
                    if (!requestHash.equals(job.requestHash())) {
                        throw ApiException.idempotencyKeyReused(idempotencyKey);
                    }
                    return new Submitted(queries.view(job, Scope.of(caller)), true);
                }));
    }

    /** A multipart job's audio is its {@code file}; naming another source as well is a mistake, not a choice. */
    private static void refuseOtherAudio(AudioUpload upload) {
        for (String other : List.of("audio_url", "upload_id")) {
            if (upload.fields().containsKey(other) && upload.audio().isPresent()) {
                throw ApiException.invalidRequest(
                        "Give the audio as exactly one of 'file', 'audio_url' or 'upload_id'.", other);
            }
        }
    }

    private static void refuseStream(AudioUpload upload) {
        if (TranscriptionOptions.stream(upload)) {
            throw ApiException.invalidRequest(
                    "stream=true is for POST /v1/audio/transcriptions; a job is fetched when it is done.", "stream");
        }
    }

    private static String fileName(String url) {
        if (url == null) {
            return null;
        }
        String path = URI.create(url).getPath();
        return path == null || path.isEmpty() ? null : path.substring(path.lastIndexOf('/') + 1);
    }

    private static String hash(String request) {
        try {
            return java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                            .digest(request.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    JobView cancel(JobId id, Scope scope) {
        return transactions.execute(status -> {
            TranscriptionJob job = queries.findForUpdate(id, scope);
            if (job.state() == JobState.SUCCEEDED || job.state() == JobState.FAILED) {
                throw conflict("The job has already " + job.state().wireName() + "; it cannot be cancelled.");
            }
            if (job.state() != JobState.CANCELLED) {
                job.cancel(clock.instant());
                cancelHeldPieces(job);
                ends.announce(job);
            }
            return queries.view(job, scope);
        });
    }

    /**
     * A failed job queued again, under the same limits as a new one of its key (also when the operator retries it):
     * the models it may use, the key's daily audio, and its cap (a slot taken in this transaction, or held for the
     * admission scheduler when the key's cap queues).
     */
    JobView retry(JobId id, Scope scope) {
        // The audio's presence is asked of the object store before the transaction, so the job's row is not locked
        // while the store answers; the state is checked again under the lock.
        TranscriptionJob seen = queries.find(id, scope);
        Caller owner = scope.everyKey() ? keys.caller(seen.apiKeyId()) : scope.caller();
        owner.checkModel(seen.spec().model(), catalog); // the key may have been narrowed since
        engines.check(seen.spec());
        limits.checkDailyAudio(owner);
        refuseRetry(seen);
        // an audio_url job fetches its audio again; any other needs the stored object
        if (seen.failureCode() == FailureCode.INVALID_AUDIO
                || (seen.sourceUrl() == null
                        && store.size(seen.audio().objectKey()).isEmpty())) {
            throw conflict("The job's audio is gone (it could not be transcribed); submit it again.");
        }
        return transactions.execute(status -> {
            TranscriptionJob job = queries.findForUpdate(id, scope);
            refuseRetry(job);
            if (job.failureCode() == FailureCode.INVALID_AUDIO) {
                throw conflict("The job's audio is gone (it could not be transcribed); submit it again.");
            }
            boolean capped = owner.maxConcurrentJobs() != null && job.batchId() == null;
            if (capped && owner.queuesOverCap()) {
                submission.retryHeld(job);
            } else {
                if (capped) {
                    limits.takeSlot(owner);
                }
                job.retry();
                outbox.add(job.lane().topic(), id.toString(), new JobSubmitted(id));
            }
            return queries.view(job, scope);
        });
    }

    private static void refuseRetry(TranscriptionJob job) {
        if (job.state() != JobState.FAILED) {
            throw conflict("Only a failed job can be retried; this one is "
                    + job.state().wireName() + ".");
        }
    }

    /** The answer to a deletion. */
    record Deleted(String id, String object, boolean deleted) {}

    Deleted delete(JobId id, Scope scope) {
        List<String> objects = transactions.execute(status -> {
            TranscriptionJob job = queries.findForUpdate(id, scope);
            boolean wasRunning = !job.state().isTerminal();
            job.delete(clock.instant());
            if (wasRunning) {
                cancelHeldPieces(job);
                ends.announce(job);
            }
            List<String> keys = new java.util.ArrayList<>(jobs.findPieces(id.value()).stream()
                    .map(p -> p.audio().objectKey())
                    .toList());
            keys.add(job.audio().objectKey());
            return keys;
        });
        try {
            objects.addAll(store.keys(ObjectKeys.speakers(id))); // the caller's references, the worker's clips
        } catch (RuntimeException ignored) {
            // the store is down: the retention sweeper removes them later
        }
        objects.forEach(key -> {
            try {
                store.delete(key);
            } catch (RuntimeException ignored) {
                // already gone, or the store is down: the retention sweeper removes it later
            }
        });
        return new Deleted(id.toString(), "transcription_job.deleted", true);
    }

    /** Pieces held for their wave (a diarized job's) would never be sent once their job ended: they end with it. */
    private void cancelHeldPieces(TranscriptionJob job) {
        jobs.findPieces(job.id().value()).stream()
                .filter(piece -> piece.state() == JobState.HELD)
                .forEach(piece -> piece.cancel(clock.instant()));
    }

    private static ApiException conflict(String message) {
        return new ApiException(HttpStatus.CONFLICT, "invalid_request_error", "invalid_state", null, message);
    }
}
