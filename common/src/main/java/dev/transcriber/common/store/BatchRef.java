package dev.transcriber.common.store;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import java.util.UUID;

/**
 * The batch a job is an item of, and the item's place in it. A job of its own has none (null).
 *
 * @param batchId the batch
 * @param index the item's place, from 0
 */
@Embeddable
public record BatchRef(
        @Column(name = "batch_id") UUID batchId,
        @Column(name = "batch_index") Integer index) {}
