package dev.transcriber.worker.webhooks;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How webhooks are sent: the delay before each attempt (the first at once; Standard Webhooks' schedule by
 * default), the jitter applied to each delay, the longest senders go without looking for due deliveries (they look
 * at once when one is written, and when a retry comes due), how many they take at a time, how long one attempt may take, how long a taken delivery is reserved for its sender, and how fast an
 * endpoint that answers 2xx again gets its other waiting deliveries (per second, oldest first).
 *
 * @param schedule The delay before each attempt, the first included; after the last, the delivery is given up.
 * @param jitter The share by which each delay is randomly lengthened or shortened (0.1: ±10%).
 * @param pollInterval The longest senders go without looking for due deliveries; they also look as soon as one is
 *     written or redelivered, and when the earliest retry comes due.
 * @param batch How many due deliveries a sender takes at a time.
 * @param timeout How long one attempt may take, the answer included.
 * @param lease How long a taken delivery is reserved for its sender.
 * @param recoveryRate How many waiting deliveries a second an endpoint gets once it answers 2xx again (oldest first).
 */
@ConfigurationProperties("transcriber.webhooks")
public record WebhookProperties(
        @DefaultValue({"0s", "5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h"})
        List<Duration> schedule,

        @DefaultValue("0.1") double jitter,
        @DefaultValue("5s") Duration pollInterval,
        @DefaultValue("20") int batch,
        @DefaultValue("10s") Duration timeout,
        @DefaultValue("2m") Duration lease,
        @DefaultValue("10") double recoveryRate) {}
