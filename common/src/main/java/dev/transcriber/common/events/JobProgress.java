package dev.transcriber.common.events;

/**
 * A piece of a long job finished; streaming callers send the text that is now settled. {@code piecesTotal} is null
 * while the audio is still being cut.
 */
public record JobProgress(JobId jobId, int piecesDone, Integer piecesTotal) {}
