package dev.transcriber.worker.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the worker reads the job queues: how long a listener waits in all for free slots of its lane before it
 * hands the rest of its poll back ({@code fullLaneWait}, well under {@code max.poll.interval.ms}: 60 s against 15
 * min; a paused and re-polled lane restarts slowly, so this is the exception, not the rhythm), how long the lane's
 * partitions then stay paused ({@code fullLanePause}), for how long a record whose claim fails is retried before it
 * goes to the dead-letter topic ({@code claimRetryFor}), and how often queued jobs whose message is gone are looked
 * for ({@code sweepInterval}).
 *
 * @param fullLaneWait How long a listener waits in all for free slots of its lane before it hands the rest of its poll
 *     back.
 * @param fullLanePause How long a full lane's partitions then stay paused.
 * @param claimRetryFor For how long a record whose claim fails is retried before it goes to the dead-letter topic.
 * @param sweepInterval How often queued jobs whose message is gone are looked for (and sent again).
 */
@ConfigurationProperties("transcriber.worker.queue")
public record QueueProperties(
        @DefaultValue("60s") Duration fullLaneWait,
        @DefaultValue("500ms") Duration fullLanePause,
        @DefaultValue("30s") Duration claimRetryFor,
        @DefaultValue("10s") Duration sweepInterval) {}
