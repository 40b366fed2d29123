package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobProgress;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.outbox.Outbox;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.transcript.TranscriptMerger;
import dev.transcriber.worker.audio.AudioFetcher;
import dev.transcriber.worker.audio.AudioSplitter;
import dev.transcriber.worker.diarization.DiarizationProperties;
import dev.transcriber.worker.diarization.JobSpeakers;
import dev.transcriber.worker.diarization.SpeakerLabels;
import dev.transcriber.worker.usage.UsageLedger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.springframework.data.domain.Limit;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The worker's changes to job rows, each in its own transaction, each announcing itself through the outbox. Three
 * hot ones (the claim, the check before paying the upstream, the success of a job whose end writes nothing else) are
 * single statements that commit on their own: a transaction around one would cost a round trip more. A row the claim
 * took but cannot read is given back to the queue at once by a second statement. Every change goes through the
 * job's own state machine. A change of a claimed job carries its {@link Claim} and passes the
 * {@link ClaimFence}: a worker whose lease ran out (or that handed the job back) cannot overwrite the work of the claim
 * that took the job next.
 */
@Component
class JobLifecycle {

    private final JobRepository jobs;
    private final Outbox outbox;
    private final TranscriptCodec codec;
    private final JobEnds ends;
    private final UsageLedger ledger;
    private final ClaimFence fence;
    private final JobTransitions transitions;
    private final Clock clock;
    private final JobSpeakers speakers;
    private final DiarizationProperties diarization;
    private final TransactionTemplate transactions;

    JobLifecycle(
            JobRepository jobs,
            Outbox outbox,
            TranscriptCodec codec,
            JobEnds ends,
            UsageLedger ledger,
            ClaimFence fence,
            JobTransitions transitions,
            Clock clock,
            JobSpeakers speakers,
            DiarizationProperties diarization,
            TransactionTemplate transactions) {
        this.transactions = transactions;
        this.speakers = speakers;
        this.diarization = diarization;
        this.jobs = jobs;
        this.outbox = outbox;
        this.codec = codec;
        this.ends = ends;
        this.ledger = ledger;
        this.fence = fence;
        this.transitions = transitions;
        this.clock = clock;
    }

    /**
     * Takes the job for {@code worker} when nobody else holds it; empty when it is done or taken, or held (for the
     * admission scheduler, or a piece for its wave). A queued piece of a job that has already ended (another piece
     * failed, or it was cancelled) is cancelled instead.
     */
    public Optional<RunningJob> claim(JobId id, String worker, Duration lease) {
        Instant now = clock.instant();
        Optional<RunningJob> claimed = transitions.claim(id, worker, now.plus(lease), now);
        if (claimed.isPresent()) {
            return claimed; // the usual case: one statement, committed on its own
        }
        return transactions.execute(status -> claimAsItStands(id, worker, lease, now));
    }

    /** Not claimable as it stands: taken, ended, or a piece of a job that ended (cancelled here). */
    private Optional<RunningJob> claimAsItStands(JobId id, String worker, Duration lease, Instant now) {
        Optional<TranscriptionJob> job = jobs.findById(id.value()).filter(j -> j.isClaimable(now));
        if (job.isPresent() && job.get().isPiece() && !parentRunning(job.get())) {
            if (job.get().state() == JobState.QUEUED) {
                job.get().cancel(now);
            }
            return Optional.empty();
        }
        job.ifPresent(j -> j.claim(worker, now.plus(lease), now));
        return job.map(RunningJob::of);
    }

    /**
     * True while the job is still held under {@code claim}, false when it ended under it (cancelled by its owner):
     * asked before the upstream is paid. Throws {@link StaleClaimException} when the claim was lost.
     */
    public boolean holds(Claim claim) {
        // one statement on its own: a read-only transaction around it would add a round trip
        return fence.holds(transitions.hold(claim.job()).orElseThrow(), claim, "check");
    }

    /**
     * RUNNING under the job's claim to SUCCEEDED with its transcript, its usage row and its announcement. A job whose
     * end writes nothing else ({@link RunningJob#quietEnd}) ends in one statement that commits on its own, and its
     * notice is sent once it has; any other ends in a transaction with its webhook delivery and its batch's count.
     * Nothing is written when the job ended meanwhile under this claim (cancelled by its owner: the result is
     * dropped); {@link StaleClaimException} when another claim took it.
     */
    public void succeed(RunningJob job, Transcript transcript, String account, double durationSeconds) {
        if (job.quietEnd()) {
            end(job, transcript, account, durationSeconds);
        } else {
            transactions.executeWithoutResult(status -> end(job, transcript, account, durationSeconds));
        }
    }

    private void end(RunningJob job, Transcript transcript, String account, double durationSeconds) {
        Claim claim = job.claim();
        String transcriptJson = codec.write(transcript);
        Optional<EndedJob> succeeded = transitions.succeed(
                claim,
                transcriptJson,
                account,
                durationSeconds,
                clock.instant(),
                ledger.entry(job.spec().model(), transcript));
        if (succeeded.isEmpty()) {
            // not held under this claim any more: cancelled by its owner meanwhile (the result is dropped), or
            // taken by another claim (the fence throws)
            JobTransitions.Hold hold = transitions.hold(claim.job()).orElseThrow();
            if (fence.holds(hold, claim, "succeed")) {
                throw new IllegalStateException("job " + claim.job() + " is held under " + claim + " but did not move");
            }
            if (hold.state() == JobState.SUCCEEDED) {
                // this very write, committed although its answer was lost, sent again: the notice sent after that
                // commit was lost with it (the rest of the end was in the commit)
                jobs.findById(claim.job().value()).ifPresent(ends::noticeAgain);
            }
            return;
        }
        ends.announce(succeeded.get(), transcriptJson);
    }

    /**
     * The job's audio_url is fetched into the store; false when the job ended meanwhile (cancelled or deleted by its
     * owner), whose fetched audio nothing will read.
     */
    @Transactional
    public boolean audioFetched(Claim claim, AudioFetcher.Fetched fetched) {
        TranscriptionJob job = jobs.findById(claim.job().value()).orElseThrow();
        if (!fence.holds(job, claim, "audio_fetched")) {
            return false;
        }
        job.audioFetched(fetched.sizeBytes(), fetched.contentType(), fetched.sha256());
        return true;
    }

    /**
     * Cutting starts: pieces left by an earlier attempt (a worker that died while cutting) are removed, and their
     * object keys returned.
     */
    @Transactional
    public List<String> startCutting(Claim claim) {
        JobId id = claim.job();
        TranscriptionJob job = jobs.lockById(id.value()).orElseThrow();
        fence.holds(job, claim, "start_cutting"); // ended meanwhile: startCutting refuses below, as before
        List<String> leftOver = jobs.findPieces(id.value()).stream()
                .map(p -> p.audio().objectKey())
                .toList();
        jobs.deletePieces(id.value());
        List<String> removed = new ArrayList<>(leftOver);
        removed.addAll(speakers.forget(id.value()));
        job.startCutting();
        return removed;
    }

    /**
     * One piece of the job's audio is cut and stored: it becomes a queued job of its own, in the same lane. A piece of
     * a job whose speakers are labelled ({@code diarized_json}) whose wave is not due yet is held instead: it is sent
     * when the pieces before its wave have succeeded ({@link #releaseDueWaves}); the job's row is locked for that
     * decision, as it is when a piece succeeds.
     */
    @Transactional
    public void addPiece(Claim claim, AudioSplitter.StoredPiece piece) {
        TranscriptionJob job = jobs.findById(claim.job().value()).orElseThrow();
        boolean inWaves = inWaves(job);
        if (inWaves) {
            job = jobs.lockById(claim.job().value()).orElseThrow();
        }
        // Ended meanwhile: the piece is still recorded, so finishCutting returns its object for removal.
        fence.holds(job, claim, "add_piece");
        List<TranscriptionJob> recorded = jobs.findPieces(job.id().value());
        Optional<TranscriptionJob> before = recordedBefore(piece, recorded);
        if (before.isPresent()) {
            // this very write, committed although its answer was lost, sent again: its message, sent after that
            // commit, was lost with it (its outbox row waits out its lease), so a queued piece's is sent once more
            if (before.get().state() == JobState.QUEUED) {
                outbox.add(
                        job.lane().topic(),
                        before.get().id().toString(),
                        new JobSubmitted(before.get().id()));
            }
            return;
        }
        JobId pieceId = JobId.random();
        StoredAudio source = job.audio();
        String filename = baseName(source.filename()) + "-part" + (piece.index() + 1) + ".wav";
        TranscriptionJob created = TranscriptionJob.piece(
                pieceId,
                job,
                piece.index(),
                new StoredAudio(piece.objectKey(), filename, "audio/wav", piece.sizeBytes()),
                piece.span(),
                clock.instant());
        boolean held = inWaves && !due(piece.index(), recorded);
        if (held) {
            created.hold();
        }
        jobs.save(created);
        if (!held) {
            outbox.add(job.lane().topic(), pieceId.toString(), new JobSubmitted(pieceId));
        }
    }

    /**
     * The piece recorded already for {@code piece}, if any: a piece at its index can only be this cut's (starting the
     * cut removed any earlier one), so it was recorded by this same write, whose commit's answer was lost. A piece at
     * its index that is not the same audio is a fault, not a retry.
     */
    private static Optional<TranscriptionJob> recordedBefore(
            AudioSplitter.StoredPiece piece, List<TranscriptionJob> recorded) {
        Optional<TranscriptionJob> same =
                recorded.stream().filter(p -> p.pieceIndex() == piece.index()).findFirst();
        same.ifPresent(existing -> {
            if (!existing.audio().objectKey().equals(piece.objectKey())
                    || existing.audio().sizeBytes() != piece.sizeBytes()
                    || !existing.pieceSpan().equals(piece.span())) {
                throw new IllegalStateException("piece " + piece.index() + " of job " + existing.parentId()
                        + " is recorded already with other audio");
            }
        });
        return same;
    }

    /** Pieces of a job that labels speakers run in waves, each knowing the voices the waves before it heard. */
    private static boolean inWaves(TranscriptionJob job) {
        return job.spec().asksForSpeakers();
    }

    /** True when every piece before the wave of piece {@code index} has been cut and has succeeded. */
    private boolean due(int index, List<TranscriptionJob> pieces) {
        int first = diarization.firstOf(diarization.wave(index));
        long done = pieces.stream()
                .filter(p -> p.pieceIndex() < first && p.state() == JobState.SUCCEEDED)
                .count();
        return done == first;
    }

    /** Sends the held pieces whose wave is now due. */
    private void releaseDueWaves(TranscriptionJob parent) {
        List<TranscriptionJob> pieces = jobs.findPieces(parent.id().value());
        for (TranscriptionJob piece : pieces) {
            if (piece.state() == JobState.HELD && due(piece.pieceIndex(), pieces)) {
                piece.release();
                send(piece);
            }
        }
    }

    /**
     * All of the audio is cut into {@code pieces}: the job waits for them without a lease. When they have all
     * finished already, it is merged now; the answer then holds the pieces' object keys, which are no longer needed.
     */
    @Transactional
    public List<String> finishCutting(Claim claim, double durationSeconds, int pieces) {
        JobId id = claim.job();
        TranscriptionJob job = jobs.lockById(id.value()).orElseThrow();
        if (job.state() == JobState.AWAITING_PIECES && job.claims() == claim.number()) {
            return List.of(); // this very write, committed although its answer was lost, sent again
        }
        if (!fence.holds(job, claim, "finish_cutting")) {
            if (job.state() == JobState.SUCCEEDED) {
                // merged by this very write (every piece had finished), committed although its answer was lost and
                // sent again: the notice sent after that commit was lost with it
                ends.noticeAgain(job);
            }
            return pieceObjects(id); // ended while being cut (or merged): its pieces go
        }
        job.measured(durationSeconds);
        return job.cutInto(pieces) ? merge(job) : List.of();
    }

    /**
     * A piece is transcribed. When it is the last of its job, the pieces are merged into the job's transcript and
     * the job succeeds; the answer then holds the object keys of the pieces, which are no longer needed.
     */
    @Transactional
    public List<String> pieceSucceeded(Claim claim, Transcript transcript, String account) {
        return recordPiece(claim, account, transcript, (piece, parent) -> transcript, List.of());
    }

    /**
     * A piece of a job that labels speakers is transcribed: under its job's row lock, its voices get the job's labels
     * (those the upstream recognised by the names they were sent as, {@code sent}; new ones the next labels, with the
     * reference clips cut for them, {@code clips}, by the upstream's label), and the waves now due are sent. Clips
     * not kept (the piece or its job ended meanwhile) are in the answer, for removal.
     */
    @Transactional
    public List<String> diarizedPieceSucceeded(
            Claim claim,
            Transcript heard,
            String account,
            Map<String, String> sent,
            Map<String, SpeakerLabels.Clip> clips) {
        List<String> unused =
                clips.values().stream().map(SpeakerLabels.Clip::objectKey).toList();
        return recordPiece(
                claim,
                account,
                heard,
                (piece, parent) -> {
                    UUID job = parent.id().value();
                    SpeakerLabels.Relabelled relabelled =
                            SpeakerLabels.relabel(heard, sent, speakers.of(job), piece.pieceIndex(), clips);
                    relabelled.newSpeakers().forEach(speaker -> speakers.add(job, speaker));
                    relabelled.spoken().forEach((label, seconds) -> speakers.spoke(job, label, seconds));
                    return relabelled.transcript();
                },
                unused);
    }

    /**
     * Records a piece's transcript ({@code labelled} from what was heard, once its job's row is locked); merges the
     * job when it is the last, else sends the pieces whose wave is due. {@code unused}: objects to remove when the
     * piece is not recorded.
     */
    private List<String> recordPiece(
            Claim claim,
            String account,
            Transcript heard,
            BiFunction<TranscriptionJob, TranscriptionJob, Transcript> labelled,
            List<String> unused) {
        Optional<TranscriptionJob> found = jobs.findById(claim.job().value());
        if (found.isEmpty()) {
            return unused; // removed when its job's cutting started over
        }
        TranscriptionJob piece = found.get();
        if (!fence.holds(piece, claim, "piece_succeeded")) {
            if (piece.state() == JobState.SUCCEEDED) {
                // this very write, committed although its answer was lost, sent again: what it recorded (the clips
                // of the voices it heard first) stays. What was sent after that commit was lost with its answer:
                // its job's notice, when it was the last piece, or the messages of the pieces its wave released.
                jobs.findById(piece.parentId().value()).ifPresent(this::resendAfterLostCommit);
                return List.of();
            }
            return unused; // cancelled meanwhile (its job ended without it)
        }
        TranscriptionJob parent = jobs.lockById(piece.parentId().value()).orElseThrow();
        if (!parent.state().isUnderway()) {
            piece.succeed(codec.write(heard), account, clock.instant());
            return unused; // the job ended without this piece (another one failed)
        }
        piece.succeed(codec.write(labelled.apply(piece, parent)), account, clock.instant());
        boolean last = parent.pieceDone();
        outbox.sendAfterCommit(
                Topics.PROGRESS,
                parent.id().toString(),
                new JobProgress(parent.id(), parent.piecesDone(), parent.piecesTotal()),
                null);
        if (last) {
            return merge(parent);
        }
        if (inWaves(parent)) {
            releaseDueWaves(parent);
        }
        return List.of();
    }

    /** What a piece's end sent after its commit, sent again: its job's notice, or its job's queued pieces. */
    private void resendAfterLostCommit(TranscriptionJob parent) {
        if (parent.state() == JobState.SUCCEEDED) {
            ends.noticeAgain(parent);
        } else if (parent.state().isUnderway() && inWaves(parent)) {
            // a message too many is harmless: only one claim takes a queued piece
            jobs.findPieces(parent.id().value()).stream()
                    .filter(p -> p.state() == JobState.QUEUED)
                    .forEach(this::send);
        }
    }

    /** A queued piece's message, from a process not working on it: in the piece's own trace. */
    private void send(TranscriptionJob piece) {
        outbox.add(piece.lane().topic(), piece.id().toString(), new JobSubmitted(piece.id()), piece.traceparent());
    }

    private List<String> merge(TranscriptionJob parent) {
        List<TranscriptionJob> pieces = jobs.findPieces(parent.id().value());
        Transcript merged = TranscriptMerger.merge(
                pieces.stream()
                        .map(p -> new TranscriptMerger.Piece(p.pieceSpan(), codec.read(p.transcriptJson())))
                        .toList(),
                parent.durationSeconds());
        String accounts = pieces.stream()
                .map(TranscriptionJob::upstreamAccount)
                .distinct()
                .collect(Collectors.joining(","));
        parent.succeed(codec.write(merged), accounts, clock.instant());
        ledger.record(EndedJob.of(parent), merged);
        ends.announce(parent);
        List<String> done =
                new ArrayList<>(pieces.stream().map(p -> p.audio().objectKey()).toList());
        done.addAll(speakers.forget(parent.id().value()));
        return done;
    }

    /** The job failed; a failed piece fails its whole job, with the same reason. */
    @Transactional
    public void fail(Claim claim, FailureCode code, String failure) {
        // text from native tools or an upstream: Failure keeps it fit for its column (StoredText)
        unfinished(claim, "fail").ifPresent(job -> end(job, j -> j.fail(code, failure, clock.instant())));
    }

    @Transactional
    public void failRateLimited(Claim claim, Instant resetsAt) {
        unfinished(claim, "fail").ifPresent(job -> end(job, j -> j.failRateLimited(resetsAt, clock.instant())));
    }

    /**
     * The job held under {@code claim}, unless it is gone (a piece removed when its job's cutting started over) or
     * ended meanwhile.
     */
    private Optional<TranscriptionJob> unfinished(Claim claim, String write) {
        return jobs.findById(claim.job().value()).filter(job -> fence.holds(job, claim, write));
    }

    /** Ends {@code job} with {@code ending}; a piece's whole job ends the same way. Announced in this transaction. */
    private void end(TranscriptionJob job, Consumer<TranscriptionJob> ending) {
        ending.accept(job);
        endedJob(job).ifPresent(ended -> {
            if (ended != job) {
                ending.accept(ended);
            }
            cancelHeldPieces(ended); // whether a piece ended it or it ended itself (while being cut, or abandoned)
            ends.announce(ended);
        });
    }

    /** Pieces held for a wave that will not come (their job ended): cancelled, as queued pieces are when claimed. */
    private void cancelHeldPieces(TranscriptionJob parent) {
        if (inWaves(parent)) {
            jobs.findPieces(parent.id().value()).stream()
                    .filter(p -> p.state() == JobState.HELD)
                    .forEach(p -> p.cancel(clock.instant()));
        }
    }

    /** The object keys of a job's pieces, and of the reference clips cut from them. */
    @Transactional(readOnly = true)
    public List<String> pieceObjects(JobId id) {
        List<String> keys = new ArrayList<>(jobs.findPieces(id.value()).stream()
                .map(p -> p.audio().objectKey())
                .toList());
        keys.addAll(speakers.clipKeys(id.value()));
        return keys;
    }

    /** Extends the leases this worker holds on running jobs. */
    @Transactional
    public int renew(Collection<UUID> ids, String worker, Instant until) {
        return ids.isEmpty() ? 0 : jobs.renewLeases(ids, worker, until);
    }

    /** Running jobs whose worker stopped renewing its lease. */
    @Transactional(readOnly = true)
    public List<JobId> expired(int limit) {
        return jobs.findExpiredLeases(clock.instant(), Limit.of(limit)).stream()
                .map(JobId::new)
                .toList();
    }

    /**
     * This worker stops: a job it still runs goes back to the queue at once (not after its lease), announced so that
     * another worker takes it now; the start does not count against max-attempts. False when the job is not (or no
     * longer) this worker's.
     */
    @Transactional
    public boolean handBack(JobId id, String worker) {
        Optional<TranscriptionJob> found = jobs.findById(id.value());
        if (found.isEmpty()
                || found.get().state() != JobState.RUNNING
                || !worker.equals(found.get().leaseOwner())) {
            return false;
        }
        found.get().handBack();
        outbox.add(
                found.get().lane().topic(),
                id.toString(),
                new JobSubmitted(id),
                found.get().traceparent());
        return true;
    }

    /** What the reaper did with an abandoned job. */
    enum Recovery {
        /** Nothing: it was no longer abandoned (renewed, or recovered by another worker). */
        NONE,
        /** Back on the queue. */
        REQUEUED,
        /** Failed: it had been started {@code max-attempts} times. */
        FAILED
    }

    /** An abandoned job goes back to the queue, or fails once it has been started too often. */
    @Transactional
    public Recovery recover(JobId id, int maxAttempts) {
        TranscriptionJob job = jobs.findById(id.value()).orElseThrow();
        if (!job.isClaimable(clock.instant()) || job.state() != JobState.RUNNING) {
            return Recovery.NONE;
        }
        if (job.attempts() >= maxAttempts) {
            String message = "The job was started " + job.attempts() + " times without finishing.";
            end(job, j -> j.fail(FailureCode.INTERNAL, message, clock.instant()));
            return Recovery.FAILED;
        }
        job.requeue();
        outbox.add(job.lane().topic(), id.toString(), new JobSubmitted(id), job.traceparent());
        return Recovery.REQUEUED;
    }

    /** The job whose end callers wait for: the job itself, or a piece's parent while it still runs. */
    private Optional<TranscriptionJob> endedJob(TranscriptionJob job) {
        if (!job.isPiece()) {
            return Optional.of(job);
        }
        return jobs.lockById(job.parentId().value())
                .filter(parent -> parent.state().isUnderway());
    }

    private boolean parentRunning(TranscriptionJob piece) {
        return jobs.findById(piece.parentId().value())
                .map(parent -> parent.state().isUnderway())
                .orElse(false);
    }

    private static String baseName(String filename) {
        if (filename == null || filename.isBlank()) {
            return "audio";
        }
        int dot = filename.lastIndexOf('.');
        return dot > 0 ? filename.substring(0, dot) : filename;
    }
}
