package dev.transcriber.api.admin;

import java.util.List;

/**
 * The fleet at a glance: each lane's queue (waiting for a worker, held for the admission scheduler, running), the
 * jobs that ended in each of the last 60 minutes by lane and outcome (only minutes with any), the sync requests this
 * api instance holds open, and the upstream accounts.
 */
record Overview(
        String object,
        long generated_at,
        List<Lane> lanes,
        List<Minute> jobs_per_minute,
        int held_sync_requests,
        List<AccountView> accounts) {

    /**
     * {@code queued}: jobs and pieces waiting for a worker; {@code held}: accepted, waiting for the admission
     * scheduler; {@code running}: jobs and pieces running (a job cut into pieces runs with them);
     * {@code oldest_queued_age_seconds}: how long the oldest of the queued has waited since it joined the queue.
     */
    record Lane(String lane, long queued, long held, long running, Double oldest_queued_age_seconds) {}

    /** Jobs (not pieces) of {@code lane} that ended with {@code outcome} in the minute starting at {@code minute}. */
    record Minute(long minute, String lane, String outcome, long count) {}
}
