package dev.transcriber.common.events;

/**
 * A job reached a terminal state; the api instance holding its request answers from the job row. A notice, sent once
 * the ending transaction commits and never recorded: the api also finds ended jobs in the database.
 */
public record JobFinished(JobId jobId, String state) {}
