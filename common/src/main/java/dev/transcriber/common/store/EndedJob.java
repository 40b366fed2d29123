package dev.transcriber.common.store;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import java.time.Instant;
import java.util.UUID;

/**
 * What the end of a job announces and records (its event, its webhook row, its counters, its usage row), read from the
 * row without loading the job: a worker's success returns it from its {@code UPDATE … RETURNING}. {@link #of} takes it
 * from a loaded job, for the ends decided on one.
 *
 * @param state the state it ended in
 * @param failureCode why it failed; null unless it did
 * @param model the public model id the caller asked for
 * @param durationSeconds the audio's length as probed; null when unknown
 * @param reusedFrom the earlier job whose transcript it took; null when it was transcribed itself
 * @param webhookUrl where its end is posted; null for none
 * @param piece it is a piece of another job's audio
 * @param batchId the batch it is an item of; null for none
 * @param traceparent the trace of the request that created it; null for none
 * @param upstreamAccount the account (or accounts) that transcribed it
 * @param idempotent it was made by a request sent with an idempotency key, so a request sent again with that key may
 *     be waiting for it
 */
public record EndedJob(
        JobId id,
        UUID apiKeyId,
        JobState state,
        FailureCode failureCode,
        Lane lane,
        String model,
        Double durationSeconds,
        UUID reusedFrom,
        String webhookUrl,
        boolean piece,
        UUID batchId,
        String traceparent,
        String upstreamAccount,
        Instant finishedAt,
        boolean idempotent) {

    public static EndedJob of(TranscriptionJob job) {
        return new EndedJob(
                job.id(),
                job.apiKeyId(),
                job.state(),
                job.failureCode(),
                job.lane(),
                job.spec().model(),
                job.durationSeconds(),
                job.reusedFrom(),
                job.webhookUrl(),
                job.isPiece(),
                job.batchId(),
                job.traceparent(),
                job.upstreamAccount(),
                job.finishedAt(),
                job.hasIdempotencyKey());
    }
}
