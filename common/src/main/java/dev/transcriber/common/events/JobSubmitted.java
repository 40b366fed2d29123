package dev.transcriber.common.events;

/** A job was accepted and its audio stored: a worker should transcribe it. */
public record JobSubmitted(JobId jobId) {}
