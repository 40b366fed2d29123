package dev.transcriber.common.wakeup;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The PostgreSQL listener that rings the services' doorbells ({@link Wakeups}): how long it waits for a notification
 * before it checks its connection with a trivial query ({@code check}), and how soon it opens a lost connection again
 * ({@code reconnect}, doubling up to {@code maxReconnect}).
 *
 * @param check How long the notification listener waits without a notification before it checks its connection.
 * @param reconnect How soon the notification listener opens a lost connection again, the first time; it doubles after
 *     each failure.
 * @param maxReconnect The longest wait between two attempts of the notification listener to open its connection.
 */
@ConfigurationProperties("transcriber.wakeup")
public record WakeupProperties(
        @DefaultValue("30s") Duration check,
        @DefaultValue("500ms") Duration reconnect,
        @DefaultValue("10s") Duration maxReconnect) {}
