package dev.transcriber.worker.jobs;

/**
 * A write under a claim that no longer holds its job (its lease ran out and the job was recovered or claimed again, or
 * it was handed back at shutdown): the write was dropped, and the execution under that claim stops.
 */
class StaleClaimException extends RuntimeException {

    StaleClaimException(Claim claim, String write) {
        super("dropped " + write + " of job " + claim.job() + " by " + claim.owner() + " under claim " + claim.number()
                + ": the job is no longer held under that claim");
    }
}
