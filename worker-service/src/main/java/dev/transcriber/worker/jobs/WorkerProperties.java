package dev.transcriber.worker.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a worker takes jobs: how many it runs at once, how long its claim on a job lasts without renewal, how often
 * abandoned jobs are looked for, and how many times a job may be started before it is given up.
 */
@ConfigurationProperties("transcriber.worker")
public record WorkerProperties(
        @DefaultValue("") String id,
        @DefaultValue("64") int maxInFlight,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("20s") Duration leaseRenewal,
        @DefaultValue("15s") Duration reaperInterval,
        @DefaultValue("5") int maxAttempts) {}
