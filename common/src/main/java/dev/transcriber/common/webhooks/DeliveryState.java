package dev.transcriber.common.webhooks;

/**
 * A webhook delivery: PENDING until an attempt gets a 2xx (DELIVERED), the schedule runs out (GAVE_UP) or the
 * receiver answers 410 Gone (DISABLED). A redelivery puts an ended one back to PENDING.
 */
public enum DeliveryState {
    PENDING,
    DELIVERED,
    GAVE_UP,
    DISABLED
}
