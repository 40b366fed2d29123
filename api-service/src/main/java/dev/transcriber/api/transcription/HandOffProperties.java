package dev.transcriber.api.transcription;

import dev.transcriber.common.web.HandOffRoute;
import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The direct hand-off of sync calls' jobs to a worker ({@link WorkerHandOff}), under {@code transcriber.api.hand-off}.
 * It is on when {@code worker} is set and the internal token ({@code transcriber.internal.token}) too; off, every job
 * reaches a worker through Kafka alone.
 *
 * @param worker The workers' base URL, {@code http(s)://host:port} and nothing after it (in a fleet, the address of
 *     the interactive workers' Service, e.g. {@code http://worker-interactive:8081}; another form stops the start); a
 *     worker with no free slot refuses at once and the job goes through Kafka. Empty: no hand-off.
 * @param connectTimeout How long a connection to a worker may take before the job goes through Kafka instead.
 * @param carryAudioUpTo A sync call's audio up to this size is kept in memory as it is stored and sent with the
 *     hand-off, so the worker does not read it back from the store (at most 1MB, what a worker takes; 0: never).
 * @param carryMemory The memory all calls of this instance together may hold so (at least 64KB when audio is
 *     carried); a call that finds it taken sends its job without its audio, and the worker reads it from the store.
 */
@ConfigurationProperties("transcriber.api.hand-off")
public record HandOffProperties(
        URI worker,
        @DefaultValue("1s") Duration connectTimeout,
        @DefaultValue("1MB") DataSize carryAudioUpTo,
        @DefaultValue("32MB") DataSize carryMemory) {

    public HandOffProperties {
        if (carryAudioUpTo.toBytes() < 0 || carryAudioUpTo.toBytes() > HandOffRoute.MAX_CARRIED_BYTES) {
            throw new IllegalStateException("transcriber.api.hand-off.carry-audio-up-to must be between 0 and 1MB (what"
                    + " a worker takes with a hand-off); was " + carryAudioUpTo);
        }
        if (carryAudioUpTo.toBytes() > 0 && carryMemory.toBytes() < CarriedAudio.BLOCK) {
            throw new IllegalStateException("transcriber.api.hand-off.carry-memory must be at least 64KB (one block)"
                    + " when carry-audio-up-to is above 0, or nothing would be carried; was " + carryMemory);
        }
    }
}
