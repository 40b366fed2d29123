package dev.transcriber.common.events;

/** A piece of a chunked job finished; streaming callers send the text that is now complete. */
public record JobProgress(JobId jobId, int piecesDone, int piecesTotal) {}
