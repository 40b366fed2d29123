package dev.transcriber.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TranscriptionBatchTest {

    private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");

    @Test
    void runsThenCompletesWhenEveryItemEnded() {
        TranscriptionBatch batch = batch();
        batch.takeExpansion("w1", NOW.plusSeconds(60));
        assertThat(batch.isExpandable(NOW)).as("held by w1").isFalse();
        assertThat(batch.isExpandable(NOW.plusSeconds(61)))
                .as("w1's claim ran out")
                .isTrue();

        batch.expanded(3, null, NOW);
        batch.itemsEnded(NOW);

        assertThat(batch.state()).isEqualTo(BatchState.COMPLETED);
        assertThat(batch.finishedAt()).isEqualTo(NOW);
    }

    @Test
    void aCancelWithItemsRunningWaitsForThem() {
        TranscriptionBatch batch = batch();
        batch.expanded(3, null, NOW);

        batch.cancel(true, NOW);
        assertThat(batch.state()).isEqualTo(BatchState.CANCELLING);
        batch.itemsEnded(NOW);

        assertThat(batch.state()).isEqualTo(BatchState.CANCELLED);
    }

    @Test
    void refusesChangesTheLifecycleDoesNotAllow() {
        TranscriptionBatch failed = batch();
        failed.failExpansion("invalid_archive", "path traversal", null, NOW);

        assertThatThrownBy(() -> failed.cancel(false, NOW)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> failed.expanded(1, null, NOW)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> batch().itemsEnded(NOW))
                .as("an expanding batch has no items running yet")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void keepsTheSkippedEntriesInTheOrderTheyWereMetAndNoneAsEmpty() {
        TranscriptionBatch batch = batch();
        List<SkippedEntry> skipped = new ArrayList<>(List.of(
                new SkippedEntry("b.txt", "not an audio file"), new SkippedEntry("a.txt", "not an audio file")));

        batch.expanded(1, skipped, NOW);
        skipped.clear();

        assertThat(batch.skipped())
                .as("a copy, in order")
                .containsExactly(
                        new SkippedEntry("b.txt", "not an audio file"), new SkippedEntry("a.txt", "not an audio file"));
        assertThat(batch().skipped()).isEmpty();
        TranscriptionBatch failed = batch();
        failed.failExpansion("empty_batch", "no audio", List.of(), NOW);
        assertThat(failed.skipped()).isEmpty();
    }

    private static TranscriptionBatch batch() {
        return TranscriptionBatch.expanding(
                UUID.randomUUID(), UUID.randomUUID(), BatchSource.ITEMS, "[]", "{}", null, null, false, true, NOW);
    }
}
