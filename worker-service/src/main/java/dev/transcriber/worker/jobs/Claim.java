package dev.transcriber.worker.jobs;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.TranscriptionJob;

/**
 * The token a claim gives its worker: the job, the lease owner and the claim's number. Every write the worker makes
 * to the job carries it, and is dropped when the job is no longer held under it (fencing).
 */
record Claim(JobId job, String owner, int number) {

    /** The claim a job was just taken under. */
    static Claim of(TranscriptionJob claimed) {
        return new Claim(claimed.id(), claimed.leaseOwner(), claimed.claims());
    }
}
