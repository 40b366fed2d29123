package dev.transcriber.api.jobs;

import java.util.List;

/** A page of jobs in OpenAI's list shape; the next page starts {@code after} the {@code last_id}. */
public record JobList(String object, List<JobView> data, boolean has_more, String first_id, String last_id) {

    public static JobList of(List<JobView> data, boolean hasMore) {
        return new JobList(
                "list",
                data,
                hasMore,
                data.isEmpty() ? null : data.getFirst().id(),
                data.isEmpty() ? null : data.getLast().id());
    }
}
