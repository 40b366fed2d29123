package dev.transcriber.worker.jobs;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.KnownSpeaker;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import dev.transcriber.worker.accounts.AllAccountsCoolingException;
import dev.transcriber.worker.accounts.DeadlineExceededException;
import dev.transcriber.worker.accounts.NoAccountsException;
import dev.transcriber.worker.accounts.UpstreamCall;
import dev.transcriber.worker.accounts.UpstreamException;
import dev.transcriber.worker.accounts.UpstreamTranscriber;
import dev.transcriber.worker.audio.AudioFetcher;
import dev.transcriber.worker.audio.AudioOpener;
import dev.transcriber.worker.audio.AudioProbe;
import dev.transcriber.worker.audio.AudioSourceUnavailableException;
import dev.transcriber.worker.audio.AudioSplitter;
import dev.transcriber.worker.audio.EarlyOpen;
import dev.transcriber.worker.audio.InvalidAudioException;
import dev.transcriber.worker.audio.LocalAudioCopy;
import dev.transcriber.worker.audio.OpenedAudio;
import dev.transcriber.worker.audio.ProbedAudio;
import dev.transcriber.worker.audio.SourceRetryPolicy;
import dev.transcriber.worker.audio.WavHeader;
import dev.transcriber.worker.diarization.JobSpeakers;
import dev.transcriber.worker.diarization.ReferenceClips;
import dev.transcriber.worker.diarization.Speaker;
import dev.transcriber.worker.diarization.SpeakerLabels;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs one claimed job. A whole job is probed first; audio within one call's reach goes upstream as it was sent,
 * longer audio is cut into pieces that are queued as jobs of their own. A piece is transcribed and handed to
 * {@link JobLifecycle#pieceSucceeded}, which completes the whole job when it is the last.
 *
 * <p>Every write carries the job's {@link Claim}. When one is refused as stale (the lease ran out and another worker
 * took the job, or this worker handed it back at shutdown) the run stops there; the claim is also checked before the
 * upstream is paid, once the run has lasted longer than a fresh claim's moment ({@link #FRESH_CLAIM}). A run whose job
 * was handed back is interrupted ({@link #stop}).
 */
@Component
class JobExecution {

    private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

    /** Upstream refusals that are about the caller's request, not about our account. */
    private static final Set<Integer> CALLER_ERRORS = Set.of(400, 413, 415, 422);

    /**
     * An upstream's refusals of a piece that say so of the gateway's own cutting, not of the caller's audio: a piece's
     * size and format are the cutter's (a WAV of at most {@code transcriber.chunking.max-piece}).
     */
    private static final Set<Integer> OUR_CUTS_REFUSED = Set.of(413, 415);

    private static final Duration URL_LIFETIME = Duration.ofHours(1);

    /**
     * How long after its claim a run may start its upstream call without asking first whether the job is still held
     * (one statement less for most jobs, whose call starts a few milliseconds after the claim). An owner's cancel that
     * lands in that moment is paid for and its result dropped, as one that lands during the call always was; a run
     * that took longer to get there (fetching its audio from a URL, probing it, cutting it) asks.
     */
    static final Duration FRESH_CLAIM = Duration.ofMillis(500);

    private static final java.util.concurrent.Executor EARLY_OPENS =
            task -> Thread.ofVirtual().name("early-open").start(task);

    private final JobLifecycle lifecycle;
    private final UpstreamTranscriber transcriber;
    private final ObjectStore store;
    private final ModelCatalog catalog;
    private final AudioProbe probe;
    private final AudioSplitter splitter;
    private final AudioFetcher fetcher;
    private final AudioOpener opener;
    private final SourceRetryPolicy sourceRetry;
    private final ResultWrites results;
    private final JobReuse reuse;
    private final StageTimers stages;
    private final JobSpeakers speakers;
    private final ReferenceClips clips;
    private final Map<UUID, Run> running = new ConcurrentHashMap<>();
    private final Set<UUID> stopped = ConcurrentHashMap.newKeySet();

    JobExecution(
            JobLifecycle lifecycle,
            UpstreamTranscriber transcriber,
            ObjectStore store,
            ModelCatalog catalog,
            AudioProbe probe,
            AudioSplitter splitter,
            AudioFetcher fetcher,
            AudioOpener opener,
            SourceRetryPolicy sourceRetry,
            ResultWrites results,
            JobReuse reuse,
            StageTimers stages,
            JobSpeakers speakers,
            ReferenceClips clips) {
        this.speakers = speakers;
        this.clips = clips;
        this.sourceRetry = sourceRetry;
        this.results = results;
        this.reuse = reuse;
        this.stages = stages;
        this.lifecycle = lifecycle;
        this.transcriber = transcriber;
        this.store = store;
        this.catalog = catalog;
        this.probe = probe;
        this.splitter = splitter;
        this.fetcher = fetcher;
        this.opener = opener;
    }

    /** A run under way: its thread, and when it began (a {@link System#nanoTime()} reading, just after the claim). */
    private record Run(Thread thread, long startedNanos) {}

    /**
     * Starts opening the audio of job {@code id}, about to be claimed, when it is a sync request's ({@link
     * Lane#INTERACTIVE}: someone waits for its answer), whose audio is at the key its id names; see {@link EarlyOpen}.
     * Audio {@code carried} with its hand-off (null: none) is taken instead, and nothing is opened.
     */
    EarlyOpen openEarly(Lane lane, JobId id, byte[] carried) {
        if (lane != Lane.INTERACTIVE) {
            return EarlyOpen.NONE;
        }
        String key = ObjectKeys.sourceAudio(id);
        return carried != null ? opener.carried(key, carried) : opener.openEarly(key, EARLY_OPENS);
    }

    /** Runs {@code job}, just claimed, on this thread; its audio may have been opened {@code early}. */
    void run(RunningJob job, EarlyOpen early) {
        Claim claim = job.claim();
        Run underWay = new Run(Thread.currentThread(), System.nanoTime());
        running.put(job.id().value(), underWay);
        try {
            run(job, claim, early);
        } catch (StaleClaimException e) {
            log.info("job {} stopped on this worker: {}", job.id(), e.getMessage());
        } catch (RuntimeException e) {
            if (!stopped.contains(job.id().value())) {
                throw e;
            }
            // interrupted mid-write after the job was handed back: nothing of it was to be kept
            log.info("job {} stopped on this worker after it was handed back ({})", job.id(), e.toString());
        } finally {
            running.remove(job.id().value(), underWay);
            stopped.remove(job.id().value());
        }
    }

    /**
     * Interrupts the run of a job this worker gave up (handed back at shutdown): its upstream call or cutting ends
     * now, and whatever it would still write is dropped by the fence.
     */
    void stop(UUID jobId) {
        Run run = running.get(jobId);
        if (run != null) {
            stopped.add(jobId);
            run.thread().interrupt();
        }
    }

    private void run(RunningJob job, Claim claim, EarlyOpen early) {
        try {
            Optional<CatalogModel> model = catalog.resolve(job.spec().model());
            if (model.isEmpty()) {
                lifecycle.fail(
                        claim,
                        FailureCode.INVALID_AUDIO,
                        "Unknown model '" + job.spec().model() + "'.");
                return;
            }
            if (job.isPiece()) {
                transcribePiece(job, claim, model.get());
            } else {
                transcribeWhole(job, claim, model.get(), early);
            }
        } catch (StaleClaimException e) {
            throw e;
        } catch (InvalidAudioException e) {
            lifecycle.fail(claim, FailureCode.INVALID_AUDIO, e.getMessage());
            removeAudio(job); // nothing to retry with: the audio goes now
        } catch (AudioSourceUnavailableException e) {
            // not a verdict on the audio: the owner may retry the job, which fetches it again
            lifecycle.fail(claim, FailureCode.AUDIO_SOURCE_UNAVAILABLE, e.getMessage());
        } catch (NoAccountsException e) {
            lifecycle.fail(claim, FailureCode.NO_ACCOUNTS, "No upstream accounts available");
        } catch (AllAccountsCoolingException e) {
            lifecycle.failRateLimited(claim, e.resetsAt());
        } catch (UpstreamException.Rejected e) {
            if (job.isPiece() && OUR_CUTS_REFUSED.contains(e.status())) {
                log.warn(
                        "job {}: the upstream refused a piece the gateway cut (HTTP {}: {}); its pieces are too large"
                                + " or of a kind that upstream does not take",
                        job.id(),
                        e.status(),
                        e.getMessage());
                lifecycle.fail(claim, FailureCode.UPSTREAM_ERROR, "Upstream transcription service error");
            } else if (CALLER_ERRORS.contains(e.status())) {
                lifecycle.fail(
                        claim,
                        FailureCode.INVALID_AUDIO,
                        "The upstream service rejected the request: " + e.getMessage());
            } else {
                lifecycle.fail(claim, FailureCode.UPSTREAM_ERROR, "Upstream transcription service error");
            }
        } catch (UpstreamException.Retryable
                | UpstreamException.RateLimited
                | UpstreamException.Unauthorized
                | DeadlineExceededException e) {
            lifecycle.fail(claim, FailureCode.UPSTREAM_ERROR, "Upstream transcription service error");
        } catch (ObjectStoreException e) {
            // Not the caller's audio and not the upstream: the store failed. The audio stays; the lease runs out and
            // the reaper puts the job back in the queue (bounded by max-attempts).
            log.warn(
                    "job {} stopped: the object store failed ({}); it will be retried after its lease",
                    job.id(),
                    e.getMessage());
        } catch (RuntimeException e) {
            // The lease runs out and the reaper puts the job back in the queue (bounded by max-attempts).
            log.error("job {} interrupted by an unexpected error; it will be retried after its lease", job.id(), e);
        }
    }

    private void transcribeWhole(RunningJob job, Claim claim, CatalogModel model, EarlyOpen early) {
        StoredAudio audio = job.audio();
        if (job.reuse() && job.sourceUrl() != null && reuse.tryReuse(claim, null)) {
            return; // the same URL was transcribed before: not even fetched
        }
        String sha256 = job.contentSha256();
        if (job.sourceUrl() != null) {
            String key = audio.objectKey();
            AudioFetcher.Fetched fetched = stages.time(
                    "worker.fetch_audio", () -> sourceRetry.call(() -> fetcher.fetch(job.sourceUrl(), key)));
            if (!lifecycle.audioFetched(claim, fetched)) {
                deleteQuietly(key); // its job ended while it was fetched: no row names it
                return;
            }
            audio = new StoredAudio(audio.objectKey(), audio.filename(), fetched.contentType(), fetched.sizeBytes());
            sha256 = fetched.sha256();
        }
        if (job.reuse() && reuse.tryReuse(claim, sha256 != null ? sha256 : hashOf(audio.objectKey()))) {
            return; // the same audio was transcribed before
        }
        if (audio.sizeBytes() <= model.maxCallBytes()) {
            // audio fetched from a URL has just been written: what was opened early may be an earlier attempt's copy
            transcribeOpened(job, claim, model, audio, sha256, job.sourceUrl() == null ? early : EarlyOpen.NONE);
        } else {
            String objectKey = audio.objectKey();
            transcribeWhole(
                    job, claim, model, audio, store.presignedGet(objectKey, URL_LIFETIME), () -> store.open(objectKey));
        }
    }

    /**
     * Audio within one call's bytes, read from the store once (not at all when it came with the job's hand-off). A
     * plain PCM WAV whose header gives its length, and which fits one call, goes upstream as it streams from the store
     * (or memory): its probe is its header ({@link WavHeader}). Any other is read into a local copy that the probe, the
     * cutter and the upstream call read.
     */
    private void transcribeOpened(
            RunningJob job, Claim claim, CatalogModel model, StoredAudio audio, String sha256, EarlyOpen early) {
        String objectKey = audio.objectKey();
        try (OpenedAudio opened =
                stages.time("worker.open_audio", () -> opener.take(early, objectKey, audio.sizeBytes(), sha256))) {
            Optional<ProbedAudio> described = WavHeader.probe(opened.head(), audio.sizeBytes());
            if (described.isPresent() && fitsOneCall(described.get(), model, audio)) {
                transcribeInOneCall(job, claim, model, audio, described.get(), opened::stream);
                return;
            }
            try (LocalAudioCopy copy =
                    stages.time("worker.read_audio", () -> LocalAudioCopy.of(opened.stream(), objectKey))) {
                transcribeWhole(job, claim, model, audio, copy.location(), copy::open);
            }
        }
    }

    /** Probes the audio at {@code location}, then sends it upstream in one call or cuts it into pieces. */
    private void transcribeWhole(
            RunningJob job,
            Claim claim,
            CatalogModel model,
            StoredAudio audio,
            String location,
            Supplier<InputStream> content) {
        ProbedAudio probed = stages.time("worker.probe", () -> probe.probe(location));
        if (fitsOneCall(probed, model, audio)) {
            transcribeInOneCall(job, claim, model, audio, probed, content);
            return;
        }
        Double capSeconds = capSeconds(model);
        // the cutting's writes are sent again when the database was out of reach, as a result's are: each recognises
        // its own earlier commit, so a lost answer does not make the job be cut and transcribed again
        results.write(() -> lifecycle.startCutting(claim)).forEach(this::deleteQuietly);
        AudioSplitter.Split split = splitter.split(
                job.id(),
                location,
                probed.durationSeconds(),
                capSeconds,
                model.maxCallBytes(),
                job.spec().chunkingStrategy(),
                piece -> results.write(() -> lifecycle.addPiece(claim, piece)));
        log.info(
                "job {}: {} s of {} cut into {} pieces",
                job.id(),
                Math.round(split.durationSeconds()),
                probed.container(),
                split.pieces().size());
        results.write(() -> lifecycle.finishCutting(
                        claim, split.durationSeconds(), split.pieces().size()))
                .forEach(this::deleteQuietly);
    }

    /** Whether the probed audio goes upstream in one call, by its length and its bytes. */
    private boolean fitsOneCall(ProbedAudio probed, CatalogModel model, StoredAudio audio) {
        return probed.durationSeconds() != null
                && probed.durationSeconds()
                        <= splitter.maxPieceSeconds(probed.durationSeconds(), capSeconds(model), model.maxCallBytes())
                && audio.sizeBytes() <= model.maxCallBytes();
    }

    private static Double capSeconds(CatalogModel model) {
        return model.maxCallDuration() == null
                ? null
                : (double) model.maxCallDuration().toSeconds();
    }

    /** The whole job's audio in one upstream call, read from {@code content}; its result recorded. */
    private void transcribeInOneCall(
            RunningJob job,
            Claim claim,
            CatalogModel model,
            StoredAudio audio,
            ProbedAudio probed,
            Supplier<InputStream> content) {
        boolean timestamps = ResponseFormat.fromWireName(job.spec().responseFormat())
                .map(ResponseFormat::needsTimestamps)
                .orElse(false);
        UpstreamCall call = call(
                job,
                audio,
                model,
                timestamps && givesTimestamps(model),
                content,
                diarized(job, model) ? UpstreamCall.Diarization.unknownSpeakers() : null);
        if (!mayCallUpstream(claim)) {
            return; // cancelled meanwhile: the upstream is not paid for it
        }
        UpstreamTranscriber.Result result = billed(
                stages.time("worker.upstream", () -> transcriber.transcribe(call)), call, probed.durationSeconds());
        long recording = System.nanoTime();
        results.write(() -> lifecycle.succeed(job, result.transcript(), result.accountId(), probed.durationSeconds()));
        stages.since("worker.record_result", recording);
    }

    private void transcribePiece(RunningJob piece, Claim claim, CatalogModel model) {
        if (diarized(piece, model)) {
            transcribeDiarizedPiece(piece, claim, model);
            return;
        }
        UpstreamCall call = call(piece, piece.audio(), model, givesTimestamps(model), null);
        if (!mayCallUpstream(claim)) {
            return; // its job ended meanwhile
        }
        UpstreamTranscriber.Result result = billed(
                stages.time("worker.upstream", () -> transcriber.transcribe(call)),
                call,
                piece.pieceSpan().duration());
        List<String> finished =
                results.write(() -> lifecycle.pieceSucceeded(claim, result.transcript(), result.accountId()));
        finished.forEach(this::deleteQuietly);
    }

    /**
     * A translation's usage: OpenAI's translations report none, so it is the audio's duration in whole seconds (as
     * whisper-1 bills), from the upstream's own {@code duration} when it gave one, else the probed length; the
     * ledger records it as it records a transcription's. A transcription's result is kept as it came.
     */
    static UpstreamTranscriber.Result billed(UpstreamTranscriber.Result result, UpstreamCall call, Double probed) {
        Transcript transcript = result.transcript();
        if (!call.translates() || transcript.usage() != null) {
            return result;
        }
        Double seconds = transcript.duration() != null ? transcript.duration() : probed;
        if (seconds == null) {
            return result;
        }
        return new UpstreamTranscriber.Result(
                transcript.withUsage(Usage.duration(Math.ceil(seconds))), result.accountId());
    }

    /**
     * A piece of a job that labels speakers: sent with the reference clips of the voices the pieces before it heard
     * (at most four), named as the upstream knows them. A voice it does not recognise is new: a reference clip is cut
     * for it from this piece's audio before the piece is recorded, where it gets its label.
     */
    private void transcribeDiarizedPiece(RunningJob piece, Claim claim, CatalogModel model) {
        // the caller's known speakers take their places first: at most four voices go upstream in all
        int room = Math.max(
                0,
                UpstreamCall.Diarization.MAX_KNOWN_SPEAKERS
                        - piece.spec().knownSpeakers().size());
        List<Speaker> known = SpeakerLabels.references(
                        speakers.of(piece.parentId().value()))
                .stream()
                .limit(room)
                .toList();
        Map<String, String> sent = new LinkedHashMap<>();
        // the caller's own known speakers are sent first and keep their names as labels
        piece.spec().knownSpeakers().forEach(speaker -> sent.put(speaker.name(), speaker.name()));
        known.forEach(speaker -> sent.put(speaker.upstreamName(), speaker.label()));
        UpstreamCall.Diarization diarization = new UpstreamCall.Diarization(
                known.stream().map(Speaker::upstreamName).toList(),
                known.stream().map(speaker -> clips.dataUrl(speaker.clipKey())).toList());
        UpstreamCall call = call(piece, piece.audio(), model, false, diarization);
        if (!mayCallUpstream(claim)) {
            return; // its job ended meanwhile
        }
        UpstreamTranscriber.Result result = stages.time("worker.upstream", () -> transcriber.transcribe(call));
        Transcript heard = result.transcript().segments() == null
                ? new Transcript(
                        result.transcript().text(),
                        result.transcript().language(),
                        result.transcript().duration(),
                        result.transcript().usage(),
                        List.of(),
                        null)
                : result.transcript();
        Set<String> unknown = new LinkedHashSet<>();
        heard.segments().stream()
                .map(Transcript.Segment::speaker)
                .filter(label -> label != null && !sent.containsKey(label))
                .forEach(unknown::add);
        Map<String, SpeakerLabels.Clip> cut = unknown.isEmpty()
                ? Map.of()
                : stages.time(
                        "worker.reference_clips",
                        () -> clips.cut(
                                piece.parentId(),
                                piece.pieceIndex(),
                                piece.audio().objectKey(),
                                piece.pieceSpan().duration(),
                                heard.segments(),
                                unknown));
        List<String> finished =
                results.write(() -> lifecycle.diarizedPieceSucceeded(claim, heard, result.accountId(), sent, cut));
        finished.forEach(this::deleteQuietly);
    }

    /** The SHA-256 of a stored object, read through once. */
    private String hashOf(String objectKey) {
        try {
            return CountingInputStream.sha256Of(store.open(objectKey));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the run may pay the upstream now: its claim is fresh ({@link #FRESH_CLAIM}), or the job is still held
     * under it (asked of the database; {@link StaleClaimException} when another claim took it).
     */
    private boolean mayCallUpstream(Claim claim) {
        Run run = running.get(claim.job().value());
        if (run != null && System.nanoTime() - run.startedNanos() < FRESH_CLAIM.toNanos()) {
            return true;
        }
        return lifecycle.holds(claim);
    }

    /** Speakers are labelled when a model that diarizes is asked for {@code diarized_json}. */
    static boolean diarized(RunningJob job, CatalogModel model) {
        return model.diarizes() && job.spec().asksForSpeakers();
    }

    private static boolean givesTimestamps(CatalogModel model) {
        return model.upstreamFormats().contains(ResponseFormat.VERBOSE_JSON.wireName());
    }

    /** The audio of a job that cannot be transcribed: its source (or, for a piece, its whole job's) and pieces. */
    private void removeAudio(RunningJob job) {
        lifecycle.pieceObjects(job.isPiece() ? job.parentId() : job.id()).forEach(this::deleteQuietly);
        if (!job.isPiece()) {
            deleteQuietly(job.audio().objectKey());
            job.spec().knownSpeakers().forEach(speaker -> deleteQuietly(speaker.objectKey()));
        }
    }

    private void deleteQuietly(String key) {
        try {
            store.delete(key);
        } catch (RuntimeException e) {
            log.warn("could not delete {}: {}", key, e.getMessage());
        }
    }

    private UpstreamCall call(
            RunningJob job,
            StoredAudio audio,
            CatalogModel model,
            boolean timestamps,
            UpstreamCall.Diarization diarization) {
        return call(job, audio, model, timestamps, () -> store.open(audio.objectKey()), diarization);
    }

    private UpstreamCall call(
            RunningJob job,
            StoredAudio audio,
            CatalogModel model,
            boolean timestamps,
            Supplier<InputStream> content,
            UpstreamCall.Diarization diarization) {
        JobSpec spec = job.spec();
        return new UpstreamCall(
                model.id(),
                model.upstreamName(),
                spec.language(),
                spec.prompt(),
                spec.temperature(),
                timestamps,
                job.lane(),
                audio.filename(),
                audio.contentType(),
                audio.sizeBytes(),
                content,
                spec.task(),
                spec.logprobs(),
                spec.chunkingStrategy(),
                spec.knownSpeakers().stream().map(this::reference).toList(),
                diarization);
    }

    /** A known speaker's clip, read back from the store as the data URL the caller sent. */
    private UpstreamCall.SpeakerReference reference(KnownSpeaker speaker) {
        String type = speaker.contentType() == null ? "application/octet-stream" : speaker.contentType();
        return new UpstreamCall.SpeakerReference(speaker.name(), clips.dataUrl(speaker.objectKey(), type));
    }
}
