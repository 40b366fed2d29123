package dev.transcriber.worker;

import dev.transcriber.common.events.Lane;
import java.time.Duration;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a worker takes jobs: how many it runs at once in each lane (interactive, async, bulk: a lane's backlog never
 * takes another lane's slots), how long its claim on a job lasts without renewal, how often
 * abandoned jobs are looked for, how many times a job may be started before it is given up, and how long jobs in
 * flight may go on finishing when the worker stops before the rest are handed back to the queue. {@code lanes}
 * ({@code TRANSCRIBER_WORKER_LANES}, all three by default) are the lanes whose queues this worker reads: a fleet may
 * run a deployment per lane, each scaled on its own lane's backlog. Everything else a worker does (the reaper, the
 * queue sweeper, admission, webhooks, batch expansion, retention) it does whatever its lanes.
 *
 * @param id This worker's name on its claims and slots; empty: the host name and a random suffix.
 * @param maxInFlight Jobs this worker runs at once in the interactive lane (sync requests and their pieces).
 * @param maxInFlightAsync Jobs this worker runs at once in the async lane.
 * @param maxInFlightBulk Jobs this worker runs at once in the bulk lane (batch items).
 * @param lease How long a claim on a job lasts without renewal; after it, any worker's reaper requeues the job.
 * @param leaseRenewal How often a worker renews the leases of its jobs.
 * @param reaperInterval How often jobs whose lease ran out are looked for.
 * @param maxAttempts How many times a job may be started before it fails.
 * @param shutdownGrace On shutdown, how long jobs in flight may go on finishing before the rest are handed back to the
 *     queue.
 * @param lanes The lanes whose queues this worker reads: {@code INTERACTIVE}, {@code ASYNC}, {@code BULK}.
 */
@ConfigurationProperties("transcriber.worker")
public record WorkerProperties(
        @DefaultValue("") String id,
        @DefaultValue("64") int maxInFlight,
        @DefaultValue("16") int maxInFlightAsync,
        @DefaultValue("8") int maxInFlightBulk,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("20s") Duration leaseRenewal,
        @DefaultValue("15s") Duration reaperInterval,
        @DefaultValue("5") int maxAttempts,
        @DefaultValue("5s") Duration shutdownGrace,
        @DefaultValue({"INTERACTIVE", "ASYNC", "BULK"}) Set<Lane> lanes) {

    public WorkerProperties {
        if (lanes.isEmpty()) {
            throw new IllegalArgumentException("transcriber.worker.lanes names no lane: a worker reads at least one");
        }
        lanes = Set.copyOf(lanes);
    }

    public int maxInFlight(Lane lane) {
        return switch (lane) {
            case INTERACTIVE -> maxInFlight;
            case ASYNC -> maxInFlightAsync;
            case BULK -> maxInFlightBulk;
        };
    }
}
