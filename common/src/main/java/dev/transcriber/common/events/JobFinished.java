package dev.transcriber.common.events;

/** A job reached a terminal state; the api instance holding its request answers from the job row. */
public record JobFinished(JobId jobId, String state) {}
