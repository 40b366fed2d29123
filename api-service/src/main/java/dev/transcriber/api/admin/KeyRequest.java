package dev.transcriber.api.admin;

import java.util.List;

/**
 * A key's settings as the admin API takes them; on PATCH, absent fields stay as they are. {@code concurrent_jobs_mode}
 * says what happens over {@code max_concurrent_jobs}: {@code refuse} (429, the default) or {@code queue}.
 */
record KeyRequest(
        String name,
        List<String> allowed_models,
        Integer requests_per_minute,
        Integer audio_seconds_per_day,
        Integer max_concurrent_jobs,
        String concurrent_jobs_mode) {}
