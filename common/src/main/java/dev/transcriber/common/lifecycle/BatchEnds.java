package dev.transcriber.common.lifecycle;

import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchState;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.webhooks.JobWebhooks;
import java.time.Clock;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Ends a batch when its last item ends, in the transaction that ended that item: the batch row is locked first, so
 * of two items ending at once the second to commit sees the first's end and completes the batch, exactly once. The
 * end goes to the batch's webhook, if any.
 */
public class BatchEnds {

    private final BatchRepository batches;
    private final JdbcClient jdbc;
    private final JobWebhooks webhooks;
    private final Clock clock;

    public BatchEnds(BatchRepository batches, JdbcClient jdbc, JobWebhooks webhooks, Clock clock) {
        this.batches = batches;
        this.jdbc = jdbc;
        this.webhooks = webhooks;
        this.clock = clock;
    }

    /**
     * Item {@code itemId} of {@code batchId} ended (in this transaction, maybe not yet flushed): when no other item is
     * left unfinished, the batch ends.
     */
    public void itemEnded(UUID batchId, UUID itemId) {
        TranscriptionBatch batch = batches.lockById(batchId).orElse(null);
        if (batch == null || (batch.state() != BatchState.IN_PROGRESS && batch.state() != BatchState.CANCELLING)) {
            return; // still expanding (its items wait for it), or over already
        }
        if (unfinished(batchId, itemId) == 0) {
            end(batch);
        }
    }

    /**
     * Call in the transaction that ends {@code batch}'s expansion, once it is in progress: when its owner already
     * ended every item it added (cancelled or deleted through the jobs API while it expanded), no item is left whose
     * end would end it, so it ends now. Returns whether it did.
     */
    public boolean endIfNoItemLeft(TranscriptionBatch batch) {
        if (unfinished(batch.id(), null) > 0) {
            return false;
        }
        end(batch);
        return true;
    }

    private void end(TranscriptionBatch batch) {
        batch.itemsEnded(clock.instant());
        webhooks.batchEnded(batch);
    }

    /** Call in the transaction that ended {@code batch} some other way (expansion failed, cancelled). */
    public void announce(TranscriptionBatch batch) {
        webhooks.batchEnded(batch);
    }

    /** The batch's items not ended yet, {@code except} (null: none) aside. */
    private int unfinished(UUID batchId, UUID except) {
        var count = jdbc.sql("select count(*) from transcription_jobs where batch_id = :batch"
                        + (except == null ? "" : " and id <> :item")
                        + " and state in (" + JobState.sqlUnfinished() + ")")
                .param("batch", batchId);
        if (except != null) {
            count = count.param("item", except);
        }
        return count.query(Integer.class).single();
    }
}
