package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.PieceSpan;

/**
 * What a worker's run of a claimed job reads of its row, and the claim it runs under: a plain value, not the managed
 * entity. The claim's {@code UPDATE … RETURNING} gives it in the same round trip ({@link JobTransitions#claim}), so
 * the hot path hydrates no entity. Every change the run makes goes through {@link JobLifecycle} with {@link #claim}.
 *
 * @param parentId for a piece, the job whose audio it is part of; null for a job of its own
 * @param pieceIndex for a piece, its place (from 0); 0 otherwise
 * @param pieceSpan for a piece, its span of the job's audio; null otherwise
 * @param sourceUrl for a job whose audio the worker fetches, where from; null once stored
 * @param contentSha256 the SHA-256 of the audio as received; null when unknown
 * @param reuse the job may take an earlier job's transcript of the same audio
 * @param quietEnd its end writes nothing besides its own row and usage (it has no webhook and is no batch's item), so
 *     its success is one statement that commits on its own ({@link JobLifecycle#succeed})
 */
record RunningJob(
        Claim claim,
        Lane lane,
        JobSpec spec,
        StoredAudio audio,
        String sourceUrl,
        String contentSha256,
        boolean reuse,
        JobId parentId,
        int pieceIndex,
        PieceSpan pieceSpan,
        boolean quietEnd) {

    /** A job claimed through the entity (the claim's fallback, and tests). */
    static RunningJob of(TranscriptionJob job) {
        return new RunningJob(
                Claim.of(job),
                job.lane(),
                job.spec(),
                job.audio(),
                job.sourceUrl(),
                job.contentSha256(),
                job.reuse(),
                job.isPiece() ? job.parentId() : null,
                job.isPiece() ? job.pieceIndex() : 0,
                job.isPiece() ? job.pieceSpan() : null,
                job.webhookUrl() == null && job.batchId() == null);
    }

    JobId id() {
        return claim.job();
    }

    boolean isPiece() {
        return parentId != null;
    }
}
