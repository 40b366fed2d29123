package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ApiException;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key was revoked (published once the revocation has committed): what it submitted and still waits is cancelled,
 * so a stolen key's queued jobs and batches do not run on after it.
 */
public record KeyRevoked(UUID keyId) {

    private static final Logger log = LoggerFactory.getLogger(KeyRevoked.class);

    /**
     * Cancels each of {@code ids} (the key's jobs, or its batches) with {@code cancel}: one that ended meanwhile is
     * passed over, one that fails is logged and left to the next revocation, and the others are cancelled still.
     */
    public void cancelEach(List<UUID> ids, Consumer<UUID> cancel) {
        for (UUID id : ids) {
            try {
                cancel.accept(id);
            } catch (ApiException e) { // it ended meanwhile
            } catch (RuntimeException e) {
                log.warn("revoked key {}: {} not cancelled ({})", keyId, id, e.toString());
            }
        }
    }
}
