package dev.transcriber.api.batches;

import java.util.List;

/** A page of batches in OpenAI's list shape; the next page starts {@code after} the {@code last_id}. */
record BatchList(String object, List<BatchView> data, boolean has_more, String first_id, String last_id) {

    static BatchList of(List<BatchView> data, boolean hasMore) {
        return new BatchList(
                "list",
                data,
                hasMore,
                data.isEmpty() ? null : data.getFirst().id(),
                data.isEmpty() ? null : data.getLast().id());
    }
}
