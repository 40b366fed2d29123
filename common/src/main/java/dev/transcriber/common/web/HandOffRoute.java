package dev.transcriber.common.web;

import dev.transcriber.common.events.JobId;

/**
 * The workers' internal route by which an api instance hands a sync call's job over, as both sides name it: its path,
 * the answer's header that names the trace of the job's end, and the most audio its body may carry.
 */
public final class HandOffRoute {

    /** The route, as the worker maps it. */
    public static final String PATH = "/internal/jobs/{id}/run";

    /** The trace the job's end notice would have been sent in ({@code traceparent}), which the api continues. */
    public static final String END_TRACE_HEADER = "X-Job-End-Traceparent";

    /**
     * The most audio a hand-off's body carries: the job's audio as the api stored it, so that the worker need not read
     * it back from the store. A worker holds it while the job runs, so this bounds its memory per interactive slot.
     */
    public static final int MAX_CARRIED_BYTES = 1024 * 1024;

    private HandOffRoute() {}

    /** The route for {@code job}, as the api calls it. */
    public static String path(JobId job) {
        return "/internal/jobs/" + job + "/run";
    }
}
