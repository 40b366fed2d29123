package dev.transcriber.api.jobs;

import org.springframework.stereotype.Component;

/**
 * What the job routes call, a caller's ({@link JobsController}) and the operator's ({@link AdminJobsController})
 * alike: each route is one call to one of these, with the scope it serves.
 */
@Component
record JobServices(
        JobQueries queries, JobCommands commands, JobTranscripts transcripts, JobTimeline timeline, JobAudio audio) {}
