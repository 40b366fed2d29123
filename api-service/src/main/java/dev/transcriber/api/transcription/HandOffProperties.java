package dev.transcriber.api.transcription;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The direct hand-off of sync calls' jobs to a worker ({@link WorkerHandOff}), under {@code transcriber.api.hand-off}.
 * It is on when {@code worker} is set and the internal token ({@code transcriber.internal.token}) too; off, every job
 * reaches a worker through Kafka alone.
 *
 * @param worker The workers' base URL, {@code http(s)://host:port} and nothing after it (in a fleet, the address of
 *     the interactive workers' Service, e.g. {@code http://worker-interactive:8081}; another form stops the start); a
 *     worker with no free slot refuses at once and the job goes through Kafka. Empty: no hand-off.
 * @param connectTimeout How long a connection to a worker may take before the job goes through Kafka instead.
 */
@ConfigurationProperties("transcriber.api.hand-off")
public record HandOffProperties(
        URI worker, @DefaultValue("1s") Duration connectTimeout) {}
