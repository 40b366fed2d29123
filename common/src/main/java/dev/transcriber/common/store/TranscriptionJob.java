package dev.transcriber.common.store;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.transcript.PieceSpan;
import dev.transcriber.common.transcript.TimestampGranularity;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Transient;
import jakarta.persistence.Version;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.DynamicUpdate;

/**
 * One transcription job. Its state changes only through the methods below, which refuse changes that
 * {@link JobState} does not allow; concurrent writers are kept apart by optimistic locking. An update writes only the
 * columns that changed ({@code @DynamicUpdate}), so a row loaded earlier does not write back columns that a bulk SQL
 * update (lease renewal, retention) changed meanwhile without touching {@code version}.
 */
@Entity
@Table(name = "transcription_jobs")
@DynamicUpdate
public class TranscriptionJob {

    @Id
    private UUID id;

    @Column(name = "api_key_id")
    private UUID apiKeyId;

    /**
     * The stored state ({@link JobState#stored()}): with {@link #held}, the lease and the fan-out it gives the
     * machine's state ({@link #state()}).
     */
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private JobState state;

    @Column(nullable = false)
    private String model;

    @Column(name = "response_format", nullable = false)
    private String responseFormat;

    private String language;

    private String prompt;

    private Double temperature;

    @Column(name = "object_key", nullable = false)
    private String objectKey;

    private String filename;

    @Column(name = "content_type")
    private String contentType;

    @Column(name = "size_bytes", nullable = false)
    private long sizeBytes;

    @Column(name = "transcript_json")
    private String transcriptJson;

    /** Why it failed; null unless it did. */
    @Embedded
    private Failure failure;

    @Column(name = "upstream_account")
    private String upstreamAccount;

    /** Starts that count against the worker's max-attempts (a start handed back at shutdown does not). */
    @Column(nullable = false)
    private int attempts;

    /**
     * How many times the job was claimed, never reset or lowered: with the lease owner it names one claim, and a
     * worker's writes are fenced on it (a write made under an earlier claim is stale).
     */
    @Column(nullable = false)
    private int claims;

    /** The worker holding it while it runs; null when nobody does. */
    @Embedded
    private Lease lease;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "started_at")
    private Instant startedAt;

    @Column(name = "finished_at")
    private Instant finishedAt;

    /** When the retention sweeper removed its audio (written by the sweeper alone); a retry clears it. */
    @Column(name = "audio_removed_at")
    private Instant audioRemovedAt;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private Lane lane = Lane.INTERACTIVE;

    @Column(name = "timestamp_granularities")
    private String timestampGranularities;

    /** {@code include[]=logprobs} (V21). */
    @Column(name = "include_logprobs", nullable = false)
    private boolean includeLogprobs;

    /** {@code chunking_strategy} as JSON ({@link ChunkingStrategy#toJson}); null when not sent. */
    @Column(name = "chunking_strategy")
    private String chunkingStrategy;

    /** The known speakers, a JSON array of {name, object_key, content_type}; null when none. */
    @Column(name = "known_speakers")
    @Convert(converter = KnownSpeakersConverter.class)
    private List<KnownSpeaker> knownSpeakers;

    /** The audio's length as probed, in seconds. */
    @Column(name = "duration_seconds")
    private Double durationSeconds;

    /** For a piece: the job whose audio it is part of, and where; null for a job of its own. */
    @Embedded
    private PieceOf piece;

    /** For a job cut into pieces: how many, and how many have finished. */
    @Embedded
    private FanOut fanOut = FanOut.NONE;

    /** What the caller attached to the job (string to string), kept as a JSON object. */
    @Convert(converter = MetadataConverter.class)
    private Map<String, String> metadata;

    @Column(name = "webhook_url")
    private String webhookUrl;

    /** When the owner deleted the job: its audio and transcript are gone, the row stays as a tombstone. */
    @Column(name = "deleted_at")
    private Instant deletedAt;

    /** For a job whose audio a worker fetches: where from (null once the audio is in the store, or for uploads). */
    @Column(name = "source_url")
    private String sourceUrl;

    @Column(name = "idempotency_key")
    private String idempotencyKey;

    /** A digest of the request that created the job, to tell a replay from a different request with the same key. */
    @Column(name = "request_hash")
    private String requestHash;

    /** For an item of a batch: the batch, and the item's place in it; null for a job of its own. */
    @Embedded
    private BatchRef batch;

    /** The URL the audio was first named by (kept after the fetch), by which a later job may reuse this one. */
    @Column(name = "audio_origin")
    private String audioOrigin;

    /** The SHA-256 of the audio as received, by which a later job of the same key may reuse this one. */
    @Column(name = "content_sha256")
    private String contentSha256;

    /** Whether this job may take an earlier job's transcript of the same audio instead of calling the upstream. */
    @Column(nullable = false)
    private boolean reuse;

    /** The earlier job whose transcript this one took. */
    @Column(name = "reused_from")
    private UUID reusedFrom;

    /**
     * Stored with a {@code QUEUED} state: the job is {@link JobState#HELD HELD}, accepted but not yet queued on Kafka
     * until the admission scheduler releases it (a key whose concurrency cap queues, or bulk work shared fairly
     * between keys).
     */
    @Column(nullable = false)
    private boolean held;

    /**
     * The W3C trace context of the request that created the job (null: none): a re-send of its event by a process
     * that is not working on it (the queue sweeper, the admission scheduler, a lease recovery) continues this trace.
     */
    @Column(name = "traceparent")
    private String traceparent;

    /** {@link JobTask#wireName()}: transcribe, or translate into English. */
    @Column(nullable = false)
    private String task = JobTask.TRANSCRIBE.wireName();

    /** Null until the row is first written, which tells Spring Data to insert rather than merge. */
    @Version
    private Long version;

    /** Not a column: the server process of this new job's insert ({@link #writerBackend}). */
    @Transient
    private transient int writerBackend = WriterBackend.UNKNOWN;

    protected TranscriptionJob() {}

    /** A new job, queued. */
    public static TranscriptionJob queued(
            JobId id, UUID apiKeyId, Lane lane, JobSpec spec, StoredAudio audio, Instant now) {
        TranscriptionJob job = new TranscriptionJob();
        job.lane = lane;
        job.timestampGranularities = TimestampGranularity.format(spec.timestampGranularities());
        job.id = id.value();
        job.apiKeyId = apiKeyId;
        job.state = JobState.QUEUED;
        job.model = spec.model();
        job.responseFormat = spec.responseFormat();
        job.language = spec.language();
        job.prompt = spec.prompt();
        job.temperature = spec.temperature();
        job.task = spec.task().wireName();
        job.includeLogprobs = spec.logprobs();
        job.chunkingStrategy =
                spec.chunkingStrategy() == null ? null : spec.chunkingStrategy().toJson();
        job.knownSpeakers = spec.knownSpeakers().isEmpty() ? null : spec.knownSpeakers();
        job.objectKey = audio.objectKey();
        job.filename = audio.filename();
        job.contentType = audio.contentType();
        job.sizeBytes = audio.sizeBytes();
        job.createdAt = now;
        return job;
    }

    /** A queued job with what an async caller attached to it. */
    public static TranscriptionJob submitted(
            JobId id,
            UUID apiKeyId,
            Lane lane,
            JobSpec spec,
            StoredAudio audio,
            Map<String, String> metadata,
            String webhookUrl,
            Instant now) {
        TranscriptionJob job = queued(id, apiKeyId, lane, spec, audio, now);
        job.metadata = metadata == null || metadata.isEmpty() ? null : Map.copyOf(metadata);
        job.webhookUrl = webhookUrl;
        return job;
    }

    /** Recorded now, queued when the admission scheduler {@link #release releases} it. */
    public void hold() {
        if (version != null || state() != JobState.QUEUED) {
            throw new IllegalJobStateChange(id, state(), JobState.HELD);
        }
        this.held = true; // its first state, before the row is written: not a change of state
    }

    /** The scheduler lets a held job go: its {@code JobSubmitted} is sent in the same transaction. */
    public void release() {
        moveFrom(JobState.HELD, JobState.QUEUED);
    }

    /**
     * An item of {@code batch}, in the bulk lane with the batch's options, held until the batch is expanded and the
     * admission scheduler releases it.
     */
    public static TranscriptionJob batchItem(
            JobId id,
            TranscriptionBatch batch,
            int index,
            JobSpec spec,
            StoredAudio audio,
            Map<String, String> metadata,
            Instant now) {
        TranscriptionJob job = submitted(
                id,
                batch.apiKeyId(),
                Lane.BULK,
                spec,
                audio,
                metadata,
                batch.jobWebhooks() ? batch.webhookUrl() : null,
                now);
        job.batch = new BatchRef(batch.id(), index);
        job.reuse = batch.reuse();
        job.hold();
        return job;
    }

    /** The audio is to be fetched from {@code url} by the worker that runs the job. */
    public void fetchFrom(String url) {
        this.sourceUrl = url;
        this.audioOrigin = url;
    }

    /** Created in the trace {@code traceparent}; set before the job is first saved (null: none). */
    public void tracedFrom(String traceparent) {
        this.traceparent = traceparent;
    }

    public String traceparent() {
        return traceparent;
    }

    /** The SHA-256 (hex) of the audio's bytes. */
    public void contentHash(String sha256) {
        this.contentSha256 = sha256;
    }

    /**
     * The job takes {@code earlier}'s transcript (same key, same audio, same options): it succeeds without an
     * upstream call, so it has no usage of its own.
     */
    public void succeedReusing(TranscriptionJob earlier, String transcriptJson, Instant now) {
        if (!reuse) {
            throw new IllegalStateException("job " + id + " may not reuse another job's transcript");
        }
        moveTo(JobState.SUCCEEDED);
        this.transcriptJson = transcriptJson;
        this.reusedFrom = earlier.id;
        this.durationSeconds = earlier.durationSeconds;
        this.upstreamAccount = null;
        finish(now);
    }

    /** Submitted with an {@code Idempotency-Key}: the key and a digest of the request. */
    public void idempotent(String key, String hash) {
        this.idempotencyKey = key;
        this.requestHash = hash;
    }

    /** Whether it was made by a request sent with an idempotency key (a request sent again with it waits for it). */
    public boolean hasIdempotencyKey() {
        return idempotencyKey != null;
    }

    /** The fetched audio is in the store now. */
    public void audioFetched(long sizeBytes, String contentType, String sha256) {
        this.contentSha256 = sha256;
        this.sizeBytes = sizeBytes;
        this.contentType = contentType;
        this.sourceUrl = null;
    }

    /** A piece of {@code parent}'s audio, queued in the parent's lane with the parent's options. */
    public static TranscriptionJob piece(
            JobId id, TranscriptionJob parent, int index, StoredAudio audio, PieceSpan span, Instant now) {
        TranscriptionJob piece = queued(id, parent.apiKeyId, parent.lane, parent.spec(), audio, now);
        piece.piece = PieceOf.of(parent.id, index, span);
        piece.durationSeconds = span.duration();
        piece.traceparent = parent.traceparent;
        return piece;
    }

    /**
     * A worker takes the job until {@code leaseUntil}. A job whose previous holder's lease ran out goes back to the
     * queue first, so the change is always QUEUED to RUNNING.
     */
    public void claim(String worker, Instant leaseUntil, Instant now) {
        if (state() == JobState.RUNNING && isClaimable(now)) {
            requeue();
        }
        moveTo(JobState.RUNNING);
        this.lease = new Lease(worker, leaseUntil);
        this.attempts++;
        this.claims++;
        if (startedAt == null) {
            startedAt = now;
        }
    }

    /**
     * True when a worker may take this job: it is queued (a held job is not, whatever event names it: it runs once
     * the admission scheduler releases it), or its holder's lease ran out.
     */
    public boolean isClaimable(Instant now) {
        JobState current = state();
        return current == JobState.QUEUED || (current == JobState.RUNNING && lease != null && lease.expiredAt(now));
    }

    /** A running job whose lease expired goes back to the queue. */
    public void requeue() {
        moveFrom(JobState.RUNNING, JobState.QUEUED);
        this.lease = null;
    }

    /**
     * True while the job runs under the claim numbered {@code claim} by {@code worker}: nobody claimed it since, it was
     * not handed back or recovered, and it has not ended.
     */
    public boolean isHeldBy(String worker, int claim) {
        return isHeldBy(state, claims, leaseOwner(), worker, claim);
    }

    /** The same rule for a row read without loading the job: its state, claim number and lease owner. */
    public static boolean isHeldBy(JobState state, int claims, String leaseOwner, String worker, int claim) {
        return state == JobState.RUNNING && claims == claim && worker.equals(leaseOwner);
    }

    /**
     * Its worker stops and gives the job back before its lease runs out: queued again at once, and this start does
     * not count against the job's attempts. The claim's number stays spent, so the stopped worker's late writes are
     * still told apart from the next claim's.
     */
    public void handBack() {
        requeue();
        this.attempts = Math.max(0, attempts - 1);
    }

    /** The probed length of the audio. */
    public void measured(double seconds) {
        this.durationSeconds = seconds;
    }

    /**
     * Cutting starts (again, after a crash): no pieces yet. The job stays RUNNING under its worker's lease while its
     * pieces are queued one by one; pieces may finish before the cutting does.
     */
    public void startCutting() {
        if (state() != JobState.RUNNING) {
            throw new IllegalJobStateChange(id, state(), JobState.RUNNING);
        }
        this.fanOut = FanOut.NONE;
    }

    /**
     * The audio is cut into {@code pieces}, all queued: the job awaits its pieces, and nobody holds it any more (no
     * lease, so the reaper leaves it alone); the last piece to finish completes it. True when every piece has
     * already finished.
     */
    public boolean cutInto(int pieces) {
        if (pieces < 1 || fanOut.done() > pieces) {
            throw new IllegalArgumentException("job " + id + " cannot be cut into " + pieces + " pieces");
        }
        moveTo(JobState.AWAITING_PIECES);
        this.fanOut = new FanOut(pieces, fanOut.done());
        this.lease = null;
        return fanOut.isComplete();
    }

    /**
     * One more piece finished; true when it was the last (the number of pieces is known once cutting ends: pieces
     * may finish while the job is still being cut).
     */
    public boolean pieceDone() {
        if (!state().isUnderway() || (fanOut.isCut() && fanOut.done() >= fanOut.total())) {
            throw new IllegalJobStateChange(id, state(), state());
        }
        this.fanOut = new FanOut(fanOut.total(), fanOut.done() + 1);
        return fanOut.isComplete();
    }

    public void succeed(String transcriptJson, String upstreamAccount, Instant now) {
        moveTo(JobState.SUCCEEDED);
        this.transcriptJson = transcriptJson;
        this.upstreamAccount = upstreamAccount;
        finish(now);
    }

    public void fail(FailureCode code, String message, Instant now) {
        failWith(new Failure(code.name(), message, null), now);
    }

    /** Every upstream account was rate-limited; the caller may try again at {@code resetsAt}. */
    public void failRateLimited(Instant resetsAt, Instant now) {
        Instant resets = resetsAt.truncatedTo(ChronoUnit.SECONDS);
        failWith(
                new Failure(
                        FailureCode.RATE_LIMITED.name(),
                        "Rate limit exceeded. Usage resets at " + resets + ".",
                        resets),
                now);
    }

    private void failWith(Failure failure, Instant now) {
        moveTo(JobState.FAILED);
        this.failure = failure;
        finish(now);
    }

    /** A failed job of a key whose cap queues, retried: held again for the admission scheduler. */
    public void retryHeld() {
        retryAs(JobState.HELD);
    }

    /** A failed job runs again from its stored audio, with a fresh budget of attempts. */
    public void retry() {
        retryAs(JobState.QUEUED);
    }

    private void retryAs(JobState next) {
        moveFrom(JobState.FAILED, next);
        this.failure = null;
        this.transcriptJson = null;
        this.upstreamAccount = null;
        this.finishedAt = null;
        this.audioRemovedAt = null; // an audio_url job fetches its audio again: it has a retention of its own
        this.attempts = 0;
        this.fanOut = FanOut.NONE;
    }

    /** The owner deleted the job: it ends (if it had not), its transcript goes, the row stays. */
    public void delete(Instant now) {
        if (!state().isTerminal()) {
            cancel(now);
        }
        this.transcriptJson = null;
        this.deletedAt = now;
    }

    public void cancel(Instant now) {
        moveTo(JobState.CANCELLED);
        finish(now);
    }

    private void finish(Instant now) {
        this.finishedAt = now;
        this.lease = null;
    }

    /** A change that only one state may make (where others may reach {@code next} by other means). */
    private void moveFrom(JobState from, JobState next) {
        if (state() != from) {
            throw new IllegalJobStateChange(id, state(), next);
        }
        moveTo(next);
    }

    /** The only way the state changes: the machine's table allows the change, and the row stores it. */
    private void moveTo(JobState next) {
        JobState current = state();
        if (!current.canMoveTo(next)) {
            throw new IllegalJobStateChange(id, current, next);
        }
        this.state = next.stored();
        this.held = next == JobState.HELD;
    }

    public JobId id() {
        return new JobId(id);
    }

    public UUID apiKeyId() {
        return apiKeyId;
    }

    /** The state in the machine ({@link JobState}), from the stored state, the held mark, the lease and the fan-out. */
    public JobState state() {
        if (state == JobState.QUEUED && held) {
            return JobState.HELD;
        }
        if (state == JobState.RUNNING && lease == null && fanOut.isCut()) {
            return JobState.AWAITING_PIECES;
        }
        return state;
    }

    public JobSpec spec() {
        return JobSpec.stored(
                model,
                responseFormat,
                language,
                prompt,
                temperature,
                timestampGranularities,
                task,
                includeLogprobs,
                chunkingStrategy,
                knownSpeakers);
    }

    public StoredAudio audio() {
        return new StoredAudio(objectKey, filename, contentType, sizeBytes);
    }

    public String sourceUrl() {
        return sourceUrl;
    }

    public String audioOrigin() {
        return audioOrigin;
    }

    public String contentSha256() {
        return contentSha256;
    }

    public boolean reuse() {
        return reuse;
    }

    /** The earlier job whose transcript this one took; null when it was transcribed itself. */
    public UUID reusedFrom() {
        return reusedFrom;
    }

    /** The batch this job is an item of; null for a job of its own. */
    public UUID batchId() {
        return batch == null ? null : batch.batchId();
    }

    public Integer batchIndex() {
        return batch == null ? null : batch.index();
    }

    public String requestHash() {
        return requestHash;
    }

    public Map<String, String> metadata() {
        return metadata == null ? Map.of() : metadata;
    }

    public String webhookUrl() {
        return webhookUrl;
    }

    public boolean isDeleted() {
        return deletedAt != null;
    }

    public Lane lane() {
        return lane;
    }

    public Double durationSeconds() {
        return durationSeconds;
    }

    public boolean isPiece() {
        return piece != null;
    }

    /** The parent job of a piece. */
    public JobId parentId() {
        return new JobId(piece.parentId());
    }

    public int pieceIndex() {
        return piece.index();
    }

    public PieceSpan pieceSpan() {
        return piece.span(durationSeconds);
    }

    /** Pieces of a job cut into pieces; null when it was transcribed whole. */
    public Integer piecesTotal() {
        return fanOut.total();
    }

    public int piecesDone() {
        return fanOut.done();
    }

    public String transcriptJson() {
        return transcriptJson;
    }

    public FailureCode failureCode() {
        return failure == null ? null : FailureCode.valueOf(failure.code());
    }

    public String failureMessage() {
        return failure == null ? null : failure.message();
    }

    /** For a rate-limited failure, when the upstream quota resets. */
    public Instant failureResetsAt() {
        return failure == null ? null : failure.resetsAt();
    }

    public String upstreamAccount() {
        return upstreamAccount;
    }

    public int attempts() {
        return attempts;
    }

    /** The number of the job's latest claim (see {@link #isHeldBy}). */
    public int claims() {
        return claims;
    }

    /** The worker holding the job's lease; null when nobody does. */
    public String leaseOwner() {
        return lease == null ? null : lease.owner();
    }

    public Instant leaseUntil() {
        return lease == null ? null : lease.until();
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Instant finishedAt() {
        return finishedAt;
    }

    /**
     * Every column of the row, in the order {@link #bindInsert} binds them: what {@link JobInserts} writes instead of
     * Hibernate's insert (which cost more than the statement itself on every job's path). A field added above without
     * its column here fails {@code JobInsertsTest}, which checks these against the entity's mapping.
     */
    static final List<String> INSERT_COLUMNS = List.of(
            "id",
            "api_key_id",
            "state",
            "model",
            "response_format",
            "language",
            "prompt",
            "temperature",
            "object_key",
            "filename",
            "content_type",
            "size_bytes",
            "transcript_json",
            "failure_code",
            "failure_message",
            "failure_resets_at",
            "upstream_account",
            "attempts",
            "claims",
            "lease_owner",
            "lease_until",
            "created_at",
            "started_at",
            "finished_at",
            "audio_removed_at",
            "lane",
            "timestamp_granularities",
            "include_logprobs",
            "chunking_strategy",
            "known_speakers",
            "duration_seconds",
            "parent_id",
            "piece_index",
            "piece_offset",
            "piece_owns_from",
            "piece_owns_until",
            "pieces_total",
            "pieces_done",
            "metadata",
            "webhook_url",
            "deleted_at",
            "source_url",
            "idempotency_key",
            "request_hash",
            "batch_id",
            "batch_index",
            "audio_origin",
            "content_sha256",
            "reuse",
            "reused_from",
            "held",
            "traceparent",
            "task",
            "version");

    /** Binds this new job's values to an insert of {@link #INSERT_COLUMNS}, its version the first (0). */
    void bindInsert(PreparedStatement insert) throws SQLException {
        Failure failed = failure == null ? new Failure(null, null, null) : failure;
        Lease leased = lease == null ? new Lease(null, null) : lease;
        PieceOf of = piece == null ? new PieceOf(null, null, null, null, null) : piece;
        FanOut fan = fanOut == null ? FanOut.NONE : fanOut;
        BatchRef inBatch = batch == null ? new BatchRef(null, null) : batch;
        Binder bind = new Binder(insert);
        bind.uuid(id);
        bind.uuid(apiKeyId);
        bind.text(state == null ? null : state.name());
        bind.text(model);
        bind.text(responseFormat);
        bind.text(language);
        bind.text(prompt);
        bind.decimal(temperature);
        bind.text(objectKey);
        bind.text(filename);
        bind.text(contentType);
        bind.bigint(sizeBytes);
        bind.text(transcriptJson);
        bind.text(failed.code());
        bind.text(failed.message());
        bind.instant(failed.resetsAt());
        bind.text(upstreamAccount);
        bind.integer(attempts);
        bind.integer(claims);
        bind.text(leased.owner());
        bind.instant(leased.until());
        bind.instant(createdAt);
        bind.instant(startedAt);
        bind.instant(finishedAt);
        bind.instant(audioRemovedAt);
        bind.text(lane == null ? null : lane.name());
        bind.text(timestampGranularities);
        bind.bool(includeLogprobs);
        bind.text(chunkingStrategy);
        bind.text(KnownSpeakersConverter.toColumn(knownSpeakers));
        bind.decimal(durationSeconds);
        bind.uuid(of.parentId());
        bind.integer(of.index());
        bind.decimal(of.offset());
        bind.decimal(of.ownsFrom());
        bind.decimal(of.ownsUntil());
        bind.integer(fan.total());
        bind.integer(fan.done());
        bind.text(MetadataConverter.toColumn(metadata));
        bind.text(webhookUrl);
        bind.instant(deletedAt);
        bind.text(sourceUrl);
        bind.text(idempotencyKey);
        bind.text(requestHash);
        bind.uuid(inBatch.batchId());
        bind.integer(inBatch.index());
        bind.text(audioOrigin);
        bind.text(contentSha256);
        bind.bool(reuse);
        bind.uuid(reusedFrom);
        bind.bool(held);
        bind.text(traceparent);
        bind.text(task);
        bind.bigint(0L);
    }

    /** Refuses a job that was written or read already: only a new one is inserted ({@link #bindInsert}). */
    void requireNew() {
        if (version != null) {
            throw new IllegalStateException("job " + id + " is not new (version " + version + "): it is not inserted");
        }
    }

    /** The server process that ran (or runs) this new job's insert: see {@link WriterBackend}. */
    void writtenBy(int backend) {
        this.writerBackend = backend;
    }

    /**
     * The server process whose connection sent this new job's insert ({@link WriterBackend#UNKNOWN} before it was
     * sent): a failed insert may still be running there.
     */
    public int writerBackend() {
        return writerBackend;
    }

    /** The row was inserted with {@link #bindInsert}: its version is the first, as Hibernate's insert sets it. */
    void inserted() {
        version = 0L;
    }

    /** Binds values in turn, each null with its column's type (no round trip to ask PostgreSQL for it). */
    private static final class Binder {

        private final PreparedStatement statement;
        private int index;

        Binder(PreparedStatement statement) {
            this.statement = statement;
        }

        void uuid(UUID value) throws SQLException {
            statement.setObject(++index, value, Types.OTHER);
        }

        void text(String value) throws SQLException {
            statement.setString(++index, value);
        }

        void integer(Integer value) throws SQLException {
            statement.setObject(++index, value, Types.INTEGER);
        }

        void bigint(long value) throws SQLException {
            statement.setLong(++index, value);
        }

        void decimal(Double value) throws SQLException {
            statement.setObject(++index, value, Types.DOUBLE);
        }

        void bool(boolean value) throws SQLException {
            statement.setBoolean(++index, value);
        }

        void instant(Instant value) throws SQLException {
            statement.setObject(
                    ++index, value == null ? null : value.atOffset(ZoneOffset.UTC), Types.TIMESTAMP_WITH_TIMEZONE);
        }
    }
}
