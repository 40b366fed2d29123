package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Many items submitted at once with shared options. A worker expands its source into bulk jobs (held until the batch
 * is expanded, then released fairly by the admission scheduler); the batch completes when every item has ended. Its
 * state changes only through the methods below, which refuse what {@link BatchState} does not allow.
 */
@Entity
@Table(name = "transcription_batches")
public class TranscriptionBatch {

    @Id
    private UUID id;

    @Column(name = "api_key_id", nullable = false)
    private UUID apiKeyId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    private BatchState state;

    @Enumerated(EnumType.STRING)
    @Column(name = "source_kind", nullable = false)
    private BatchSource sourceKind;

    /** The items (JSON list of {@link BatchItem}), the feed's URL, or the archive's object key. */
    @Column(nullable = false)
    private String source;

    /** The options every item's job gets ({@link JobSpec} as JSON). */
    @Column(nullable = false)
    private String options;

    @Convert(converter = MetadataConverter.class)
    private Map<String, String> metadata;

    @Column(name = "webhook_url")
    private String webhookUrl;

    /** Whether each item's job also sends its own {@code transcription_job.*} events to the webhook. */
    @Column(name = "job_webhooks", nullable = false)
    private boolean jobWebhooks;

    /** Whether items may reuse an earlier transcript of the same audio instead of calling the upstream again. */
    @Column(nullable = false)
    private boolean reuse;

    @Column(name = "items_total")
    private Integer itemsTotal;

    /** Entries of the source that became no item, and why (a JSON list; null when none). */
    @Convert(converter = SkippedEntriesConverter.class)
    private List<SkippedEntry> skipped;

    @Column(name = "failure_code")
    private String failureCode;

    @Column(name = "failure_message")
    private String failureMessage;

    @Column(name = "lease_owner")
    private String leaseOwner;

    @Column(name = "lease_until")
    private Instant leaseUntil;

    /** How many times a worker has started expanding it. */
    @Column(name = "expansion_attempts", nullable = false)
    private int expansionAttempts;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "expanded_at")
    private Instant expandedAt;

    @Column(name = "finished_at")
    private Instant finishedAt;

    @Version
    private Long version;

    protected TranscriptionBatch() {}

    public static TranscriptionBatch expanding(
            UUID id,
            UUID apiKeyId,
            BatchSource kind,
            String source,
            String options,
            Map<String, String> metadata,
            String webhookUrl,
            boolean jobWebhooks,
            boolean reuse,
            Instant now) {
        TranscriptionBatch batch = new TranscriptionBatch();
        batch.id = id;
        batch.apiKeyId = apiKeyId;
        batch.state = BatchState.EXPANDING;
        batch.sourceKind = kind;
        batch.source = source;
        batch.options = options;
        batch.metadata = metadata == null || metadata.isEmpty() ? null : Map.copyOf(metadata);
        batch.webhookUrl = webhookUrl;
        batch.jobWebhooks = jobWebhooks;
        batch.reuse = reuse;
        batch.createdAt = now;
        return batch;
    }

    /** True when a worker may take the expansion: nobody holds it, or its holder's lease ran out. */
    public boolean isExpandable(Instant now) {
        return state == BatchState.EXPANDING && (leaseUntil == null || leaseUntil.isBefore(now));
    }

    /** A worker starts the expansion (over), holding it until {@code until}; another takes over if it dies. */
    public void takeExpansion(String worker, Instant until) {
        if (state != BatchState.EXPANDING) {
            throw new IllegalStateException("batch " + id + " is " + state + ", not expanding");
        }
        this.leaseOwner = worker;
        this.leaseUntil = until;
        this.expansionAttempts++;
    }

    /** True while {@code worker} holds the expansion (its claim was not taken over). */
    public boolean isExpandedBy(String worker) {
        return state == BatchState.EXPANDING && worker.equals(leaseOwner);
    }

    public int expansionAttempts() {
        return expansionAttempts;
    }

    /** Every item is a (held) job now: they may run. {@code skipped}: the entries that became no item (or null). */
    public void expanded(int items, List<SkippedEntry> skipped, Instant now) {
        moveTo(BatchState.IN_PROGRESS);
        this.itemsTotal = items;
        this.skipped = stored(skipped);
        this.expandedAt = now;
        this.leaseOwner = null;
        this.leaseUntil = null;
    }

    /** The source could not be expanded (refused or unreadable): no item runs. */
    public void failExpansion(String code, String message, List<SkippedEntry> skipped, Instant now) {
        moveTo(BatchState.FAILED);
        this.failureCode = code;
        this.failureMessage = StoredText.message(message); // it may quote a feed or an archive
        this.skipped = stored(skipped);
        this.finishedAt = now;
        this.leaseOwner = null;
        this.leaseUntil = null;
    }

    /** Its queued items are cancelled by the caller; running ones finish first when {@code running}. */
    public void cancel(boolean running, Instant now) {
        if (running && state == BatchState.IN_PROGRESS) {
            moveTo(BatchState.CANCELLING);
            return;
        }
        moveTo(BatchState.CANCELLED);
        this.finishedAt = now;
        this.leaseOwner = null;
        this.leaseUntil = null;
    }

    /** Every item has ended: the batch completes (or, when it was being cancelled, is cancelled). */
    public void itemsEnded(Instant now) {
        moveTo(state == BatchState.CANCELLING ? BatchState.CANCELLED : BatchState.COMPLETED);
        this.finishedAt = now;
    }

    private static List<SkippedEntry> stored(List<SkippedEntry> skipped) {
        return skipped == null || skipped.isEmpty() ? null : List.copyOf(skipped);
    }

    private void moveTo(BatchState next) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("batch " + id + " cannot move from " + state + " to " + next);
        }
        this.state = next;
    }

    public UUID id() {
        return id;
    }

    public UUID apiKeyId() {
        return apiKeyId;
    }

    public BatchState state() {
        return state;
    }

    public BatchSource sourceKind() {
        return sourceKind;
    }

    public String source() {
        return source;
    }

    public String options() {
        return options;
    }

    public Map<String, String> metadata() {
        return metadata == null ? Map.of() : metadata;
    }

    public String webhookUrl() {
        return webhookUrl;
    }

    public boolean jobWebhooks() {
        return jobWebhooks;
    }

    public boolean reuse() {
        return reuse;
    }

    public Integer itemsTotal() {
        return itemsTotal;
    }

    /** The entries of the source that became no item, in the order they were met; empty when none. */
    public List<SkippedEntry> skipped() {
        return skipped == null ? List.of() : skipped;
    }

    public String failureCode() {
        return failureCode;
    }

    public String failureMessage() {
        return failureMessage;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant expandedAt() {
        return expandedAt;
    }

    public Instant finishedAt() {
        return finishedAt;
    }
}
