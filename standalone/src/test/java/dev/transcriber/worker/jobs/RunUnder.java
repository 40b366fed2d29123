package dev.transcriber.worker.jobs;

import dev.transcriber.common.store.TranscriptionJob;

/** For tests that write as a worker's run does: the run of a job under a given claim, current or stale. */
final class RunUnder {

    private RunUnder() {}

    /** What the run that took {@code claim} of {@code job} goes on with (the row's columns, that claim). */
    static RunningJob claim(Claim claim, TranscriptionJob job) {
        RunningJob row = RunningJob.of(job);
        return new RunningJob(
                claim,
                row.lane(),
                row.spec(),
                row.audio(),
                row.sourceUrl(),
                row.contentSha256(),
                row.reuse(),
                row.parentId(),
                row.pieceIndex(),
                row.pieceSpan(),
                row.quietEnd());
    }
}
