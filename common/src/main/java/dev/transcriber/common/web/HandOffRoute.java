package dev.transcriber.common.web;

import dev.transcriber.common.events.JobId;

/**
 * The workers' internal route by which an api instance hands a sync call's job over, as both sides name it: its path,
 * and the answer's header that names the trace of the job's end.
 */
public final class HandOffRoute {

    /** The route, as the worker maps it. */
    public static final String PATH = "/internal/jobs/{id}/run";

    /** The trace the job's end notice would have been sent in ({@code traceparent}), which the api continues. */
    public static final String END_TRACE_HEADER = "X-Job-End-Traceparent";

    private HandOffRoute() {}

    /** The route for {@code job}, as the api calls it. */
    public static String path(JobId job) {
        return "/internal/jobs/" + job + "/run";
    }
}
