package dev.transcriber.api.transcription;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.completion.PendingCompletions;
import dev.transcriber.api.completion.PendingProgress;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.ErrorResponses;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.formats.RenderedTranscript;
import dev.transcriber.api.formats.TranscriptRenderer;
import dev.transcriber.api.intake.AudioUpload;
import dev.transcriber.api.intake.IdempotencyKeys;
import dev.transcriber.api.intake.JobSubmission;
import dev.transcriber.api.intake.MultipartAudioReader;
import dev.transcriber.api.intake.OutcomeUnknown;
import dev.transcriber.api.intake.SpeakerClips;
import dev.transcriber.api.intake.TranscriptionOptions;
import dev.transcriber.api.intake.UploadsInProgress;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.KeyLimits;
import dev.transcriber.api.models.EngineSupport;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.web.Unavailable;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/** The synchronous transcription: store the audio, queue the job, wait for it to end, answer in the asked format. */
@Service
class Transcriptions {

    static final String UPSTREAM_ACCOUNT_HEADER = "X-Upstream-Account";

    private final MultipartAudioReader reader;
    private final ModelCatalog catalog;
    private final ObjectStore store;
    private final JobSubmission submission;
    private final PendingCompletions pending;
    private final PendingProgress progress;
    private final KeyLimits limits;
    private final JobRepository jobs;
    private final JobOutcomes outcomes;
    private final TranscriptCodec codec;
    private final TranscriptRenderer renderer;
    private final JsonMapper json;
    private final Duration syncTimeout;
    private final int maxPromptLength;
    private final StageTimers stages;
    private final EngineSupport engines;
    private final WorkerHandOff handOff;
    private final UploadsInProgress uploads;
    /**
     * Where a stream's events are written as its job moves on, in the trace and log context of what moved it (a sync
     * answer is built on the request's own thread).
     */
    private final Executor answering;

    Transcriptions(
            MultipartAudioReader reader,
            ModelCatalog catalog,
            ObjectStore store,
            JobSubmission submission,
            PendingCompletions pending,
            PendingProgress progress,
            KeyLimits limits,
            JobRepository jobs,
            JobOutcomes outcomes,
            TranscriptCodec codec,
            TranscriptRenderer renderer,
            JsonMapper json,
            ApiProperties properties,
            StageTimers stages,
            Traces traces,
            EngineSupport engines,
            WorkerHandOff handOff,
            UploadsInProgress uploads) {
        this.uploads = uploads;
        this.engines = engines;
        this.handOff = handOff;
        this.answering = traces.inContext(Executors.newVirtualThreadPerTaskExecutor());
        this.stages = stages;
        this.reader = reader;
        this.catalog = catalog;
        this.store = store;
        this.submission = submission;
        this.pending = pending;
        this.progress = progress;
        this.limits = limits;
        this.jobs = jobs;
        this.outcomes = outcomes;
        this.codec = codec;
        this.renderer = renderer;
        this.json = json;
        this.syncTimeout = properties.syncTimeout();
        this.maxPromptLength = properties.maxPromptLength();
    }

    /**
     * The answer: a {@code ResponseEntity} (the transcript or an error), or an {@code SseEmitter} when streaming.
     * With an {@code idempotencyKey}, the same request sent again (its fields and the file's SHA-256) waits for the
     * first one's job and gets its answer; a different request with the same key gets a 409.
     */
    Object transcribe(
            JobId newJob, Caller caller, HttpServletRequest request, HttpServletResponse response, String key) {
        return hold(newJob, caller, request, response, key, JobTask.TRANSCRIBE);
    }

    /**
     * {@code POST /v1/audio/translations}: the same path as a transcription (queue, lanes, accounts, cutting, usage,
     * idempotency), with a translation's fields; never streamed (translations have no {@code stream}).
     */
    Object translate(
            JobId newJob, Caller caller, HttpServletRequest request, HttpServletResponse response, String key) {
        return hold(newJob, caller, request, response, key, JobTask.TRANSLATE);
    }

    /** The call, its audio kept in memory as it is stored when it is small, for its hand-off to a worker. */
    private Object hold(
            JobId newJob,
            Caller caller,
            HttpServletRequest request,
            HttpServletResponse response,
            String key,
            JobTask task) {
        try (CarriedAudio.Copy audio = handOff.carry()) {
            return hold(newJob, caller, request, response, key, task, audio);
        }
    }

    private Object hold(
            JobId newJob,
            Caller caller,
            HttpServletRequest request,
            HttpServletResponse response,
            String key,
            JobTask task,
            CarriedAudio.Copy audioCopy) {
        IdempotencyKeys.checked(key);
        AudioUpload upload;
        KeyLimits.Admission admission;
        long reading;
        try (UploadsInProgress.Permit permit = uploads.start(caller)) { // before anything else costs a round trip
            admission = limits.checkBeforeSubmit(caller);
            reading = System.nanoTime();
            upload = reader.read(request, ObjectKeys.sourceAudio(newJob), audioCopy::keeping);
        }
        stages.since("api.store_audio", reading);
        JobSpec spec;
        boolean stream;
        try {
            if (task == JobTask.TRANSLATE) {
                spec = TranscriptionOptions.validateTranslation(upload, catalog, maxPromptLength);
                caller.checkModel(spec.model(), catalog);
                engines.check(spec);
                stream = false;
            } else {
                spec = TranscriptionOptions.validate(upload, catalog, maxPromptLength);
                caller.checkModel(spec.model(), catalog);
                engines.check(spec);
                stream = TranscriptionOptions.stream(upload) && streams(spec);
                spec = SpeakerClips.store(store, newJob, spec, TranscriptionOptions.knownSpeakers(upload, catalog));
            }
        } catch (RuntimeException e) { // a refusal, or the store failing while it kept the known speakers' clips
            upload.audio().ifPresent(audio -> store.delete(audio.objectKey()));
            throw e;
        }
        StoredAudio audio = upload.audio().orElseThrow();
        String requestHash = key == null ? null : requestHash(upload, task);
        Optional<JobId> earlier;
        try {
            earlier = key == null ? Optional.empty() : earlierJob(caller, key, requestHash, audio);
        } catch (RuntimeException e) { // the key reused for another request (409): nothing of this one stays
            SpeakerClips.delete(store, spec);
            throw e;
        }
        if (earlier.isPresent()) {
            SpeakerClips.delete(store, spec); // the earlier job has its own
        }
        JobId jobId = earlier.isPresent() ? attach(earlier.get(), audio, response) : newJob;
        CompletableFuture<JobFinished.Answer> finished = pending.register(jobId);
        if (earlier.isEmpty() && finished.isCompletedExceptionally()) {
            // The instance began to close while this request's body was read (it passed the gate before): it holds
            // nothing any more, so no job is made for a caller who would only get a 503 and send the request again.
            SpeakerClips.delete(store, spec);
            store.delete(audio.objectKey());
            return retryLater().body(OpenAiError.of(ApiException.closing()));
        }
        CompletableFuture<?> started = stream ? new CompletableFuture<Void>() : finished;
        Runnable startWatch = () -> {
            if (!started.isDone() && firstPieceDone(jobId)) {
                started.complete(null);
            }
        };
        if (stream) {
            // A stream starts with its first piece (or the job's end), not with the poller's tick: a job that fails
            // before any text exists answers with its error status, as it would without stream=true.
            progress.follow(jobId, startWatch);
            finished.whenComplete((done, failure) -> {
                if (failure == null) {
                    started.complete(null);
                } else {
                    started.completeExceptionally(failure); // the instance shutting down: the caller hears it now
                }
            });
            started.whenComplete((ignored, failure) -> progress.forget(jobId, startWatch));
        }
        long recording = System.nanoTime();
        AtomicBoolean handedOver = new AtomicBoolean();
        if (earlier.isPresent()) {
            completeIfEnded(jobId);
        } else {
            try {
                submission.submit(
                        jobId,
                        caller,
                        Lane.INTERACTIVE,
                        spec,
                        audio,
                        upload.sha256(),
                        admission,
                        key,
                        requestHash,
                        job -> {
                            handedOver.set(true);
                            handOff.handOver(job, audioCopy);
                        });
            } catch (RuntimeException e) {
                audioCopy.close();
                pending.forget(jobId, finished);
                progress.forget(jobId, startWatch);
                if (e instanceof OutcomeUnknown) {
                    throw e; // the job may exist: its audio and clips stay (a stray's are removed later)
                }
                SpeakerClips.delete(store, spec);
                if (key != null && e instanceof DataIntegrityViolationException) {
                    // the same key sent at the same moment by another request, whose job is committed: answer
                    // this one as a retry of that one
                    store.delete(audio.objectKey());
                    return replayed(caller, key, requestHash, request, response, e);
                }
                store.delete(audio.objectKey());
                throw e;
            }
        }
        if (!handedOver.get()) {
            audioCopy.close(); // not handed over (a held job, a retry's): its memory is not kept while the call waits
        }
        long submitted = System.nanoTime();
        stages.since("api.record_job", recording);
        finished.thenRun(() -> stages.since("api.wait_for_end", submitted));
        if (stream) {
            return streamOrAnswer(jobId, finished, await(started));
        }
        Throwable failure = await(finished);
        // the answer the job's end carried fits this request only when the request made the job (a retry's key
        // may name a job made by another request of the same form)
        JobFinished.Answer carried = failure == null && earlier.isEmpty() ? finished.getNow(null) : null;
        JobSpec asked = spec;
        try {
            return stages.time("api.answer", () -> carried == null ? answer(jobId, failure) : answer(asked, carried));
        } finally {
            pending.forget(jobId, finished);
        }
    }

    /**
     * Waits for {@code end} on the request's own thread, a virtual one (Tomcat runs every request on one), so a held
     * request pins no platform thread; this costs less than the servlet's asynchronous mode, whose second dispatch
     * runs the whole filter chain again when the answer is ready. Returns what ended the wait: null (the job ended),
     * a {@link TimeoutException} after the sync timeout, or the instance shutting down.
     */
    private Throwable await(CompletableFuture<?> end) {
        try {
            end.orTimeout(syncTimeout.toMillis(), TimeUnit.MILLISECONDS).join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    /**
     * The request's digest; a translation's is that of the same form with {@code task=translate}, as the async
     * endpoint would have it, so a transcription and a translation of the same audio never share a key's job.
     */
    private static String requestHash(AudioUpload upload, JobTask task) {
        if (task == JobTask.TRANSCRIBE) {
            return upload.requestHash();
        }
        Map<String, List<String>> values = new HashMap<>(upload.values());
        values.put("task", List.of(task.wireName()));
        return new AudioUpload(values, upload.audio(), upload.sha256()).requestHash();
    }

    /**
     * Whether a {@code stream=true} request is answered as events: its text is (json, text, or diarized_json's
     * segments). A timestamp format (srt, vtt, verbose_json) is answered whole, as OpenAI answers whisper-1, which
     * ignores {@code stream}: events of text would drop the timestamps asked for.
     */
    private static boolean streams(JobSpec spec) {
        return switch (ResponseFormat.fromWireName(spec.responseFormat()).orElse(ResponseFormat.JSON)) {
            case JSON, TEXT, DIARIZED_JSON -> true;
            case SRT, VTT, VERBOSE_JSON -> false;
        };
    }

    /** The job an earlier request with {@code key} made: the same request waits for it, another one gets a 409. */
    private Optional<JobId> earlierJob(Caller caller, String key, String requestHash, StoredAudio audio) {
        Optional<TranscriptionJob> job = jobs.findByIdempotencyKey(caller.keyId(), key);
        if (job.isPresent() && !requestHash.equals(job.get().requestHash())) {
            store.delete(audio.objectKey());
            throw ApiException.idempotencyKeyReused(key);
        }
        return job.map(TranscriptionJob::id);
    }

    /** This request's audio goes (the earlier job has the same); its answer names the earlier job. */
    private JobId attach(JobId earlier, StoredAudio audio, HttpServletResponse response) {
        store.delete(audio.objectKey());
        return replaying(earlier, response);
    }

    private static JobId replaying(JobId earlier, HttpServletResponse response) {
        LogContext.jobFromHere(earlier); // the request's lines from here name the job it waits for
        response.setHeader(TranscriptionController.JOB_ID_HEADER, earlier.toString());
        response.setHeader("Idempotent-Replayed", "true");
        return earlier;
    }

    /** Lost the race for the key to a request sent at the same moment: wait for that one's job instead. */
    private Object replayed(
            Caller caller,
            String key,
            String requestHash,
            HttpServletRequest request,
            HttpServletResponse response,
            RuntimeException raced) {
        JobId winner = jobs.findByIdempotencyKey(caller.keyId(), key)
                .filter(job -> requestHash.equals(job.requestHash()))
                .map(TranscriptionJob::id)
                .orElseThrow(() -> raced);
        replaying(winner, response);
        CompletableFuture<JobFinished.Answer> finished = pending.register(winner);
        completeIfEnded(winner);
        Throwable failure = await(finished);
        try {
            return answer(winner, failure);
        } finally {
            pending.forget(winner, finished);
        }
    }

    private void completeIfEnded(JobId jobId) {
        jobs.findById(jobId.value()).filter(job -> job.state().isTerminal()).ifPresent(job -> pending.complete(jobId));
    }

    private boolean firstPieceDone(JobId jobId) {
        return jobs.findPieces(jobId.value()).stream()
                .anyMatch(piece -> piece.pieceIndex() == 0 && piece.state() == JobState.SUCCEEDED);
    }

    /**
     * The first piece is done, or the whole job: a job that failed before sending anything answers with a plain
     * error status, as the non-streaming call would; otherwise the events start.
     */
    private Object streamOrAnswer(JobId jobId, CompletableFuture<JobFinished.Answer> finished, Throwable failure) {
        TranscriptionJob job = jobs.findById(jobId.value()).orElseThrow();
        boolean transcriptGone = job.isDeleted() || (job.state() == JobState.SUCCEEDED && job.transcriptJson() == null);
        if (failure != null || job.state() == JobState.FAILED || job.state() == JobState.CANCELLED || transcriptGone) {
            pending.forget(jobId, finished);
            return answer(jobId, failure);
        }
        SseEmitter emitter = new SseEmitter(syncTimeout.toMillis());
        TranscriptStream stream = new TranscriptStream(jobId, emitter, jobs, codec, json);
        Runnable onProgress = () -> answering.execute(stream::moveOn);
        progress.follow(jobId, onProgress);
        finished.orTimeout(syncTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync(
                        (done, timedOut) -> {
                            progress.forget(jobId, onProgress);
                            pending.forget(jobId, finished);
                            if (isShuttingDown(timedOut)) {
                                stream.timeOut(shuttingDown(jobId));
                            } else if (timedOut != null) {
                                stream.timeOut(stillRunning(jobId));
                            } else {
                                stream.moveOn();
                            }
                        },
                        answering);
        answering.execute(stream::moveOn);
        return emitter;
    }

    private ApiException stillRunning(JobId jobId) {
        return new ApiException(
                HttpStatus.GATEWAY_TIMEOUT,
                "server_error",
                "timeout",
                null,
                "The transcription is still running after " + syncTimeout.toSeconds()
                        + " s; fetch its result later with job id " + jobId + ".");
    }

    /**
     * The instance is shutting down and its drain is over before the job ended: 503 with {@code Retry-After}. The
     * job goes on; the same request sent again with its {@code Idempotency-Key} waits for it on another instance.
     */
    private static ApiException shuttingDown(JobId jobId) {
        return new ApiException(
                HttpStatus.SERVICE_UNAVAILABLE,
                "server_error",
                "shutting_down",
                null,
                "This server instance is shutting down before the transcription finished. Send the request again"
                        + " (with the same Idempotency-Key it gets this job's answer, with no second job); the job"
                        + " id is " + jobId + ".");
    }

    /** A 503 with {@code Retry-After}, as JSON: the instance is shutting down. */
    private static ResponseEntity.BodyBuilder retryLater() {
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, String.valueOf(Unavailable.RETRY_AFTER_SECONDS))
                .contentType(MediaType.APPLICATION_JSON);
    }

    private static boolean isShuttingDown(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
        return cause instanceof PendingCompletions.ShuttingDown;
    }

    private ResponseEntity<?> answer(JobId jobId, Throwable failure) {
        if (isShuttingDown(failure)) {
            return retryLater()
                    .header(TranscriptionController.JOB_ID_HEADER, jobId.toString())
                    .body(OpenAiError.of(shuttingDown(jobId)));
        }
        if (failure instanceof TimeoutException) {
            return ErrorResponses.entity(stillRunning(jobId));
        }
        JobOutcomes.Outcome job = outcomes.find(jobId).orElseThrow();
        if (job.deleted()) { // a request with the key of a job its owner deleted since
            return ErrorResponses.entity(ApiException.transcriptDeleted(jobId));
        }
        if (job.state() == JobState.SUCCEEDED && job.transcriptJson() == null) { // retention removed it since
            return ErrorResponses.entity(ApiException.transcriptExpired(jobId));
        }
        return switch (job.state()) {
            case SUCCEEDED ->
                succeeded(
                        job.responseFormat(),
                        job.timestampGranularities(),
                        job.task(),
                        job.transcriptJson(),
                        job.upstreamAccount());
            case FAILED ->
                ErrorResponses.entity(
                        ApiException.jobFailed(job.failureCode(), job.failureMessage(), job.failureResetsAt()));
            case CANCELLED ->
                ErrorResponses.entity(new ApiException(
                        HttpStatus.CONFLICT, "invalid_request_error", "job_cancelled", null, "The job was cancelled."));
            case HELD, QUEUED, RUNNING, AWAITING_PIECES ->
                throw new IllegalStateException("job " + jobId + " is not finished");
        };
    }

    /** The job this request made succeeded, and its end carried the answer: rendered as asked, with no read. */
    private ResponseEntity<?> answer(JobSpec asked, JobFinished.Answer carried) {
        return succeeded(
                asked.responseFormat(),
                asked.timestampGranularities(),
                asked.task(),
                carried.transcriptJson(),
                carried.upstreamAccount());
    }

    private ResponseEntity<?> succeeded(
            String responseFormat,
            Set<TimestampGranularity> granularities,
            JobTask task,
            String transcriptJson,
            String upstreamAccount) {
        ResponseFormat format = ResponseFormat.fromWireName(responseFormat).orElse(ResponseFormat.JSON);
        RenderedTranscript rendered = renderer.render(codec.read(transcriptJson), format, granularities, task);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType(rendered.contentType()))
                .header(UPSTREAM_ACCOUNT_HEADER, upstreamAccount)
                .body(rendered.body());
    }
}
