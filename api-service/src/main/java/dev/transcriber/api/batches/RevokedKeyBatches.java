package dev.transcriber.api.batches;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.KeyRevoked;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.store.BatchRepository;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A revoked key's batches that have not ended are cancelled, as its owner's cancel would: their waiting items are
 * cancelled, running ones finish, and one still expanding stops.
 */
@Component
class RevokedKeyBatches {

    private static final Logger log = LoggerFactory.getLogger(RevokedKeyBatches.class);

    private final BatchRepository batches;
    private final BatchCommands commands;

    RevokedKeyBatches(BatchRepository batches, BatchCommands commands) {
        this.batches = batches;
        this.commands = commands;
    }

    @EventListener
    void on(KeyRevoked revoked) {
        for (UUID id : batches.findOpenOfKey(revoked.keyId())) {
            try {
                commands.cancel(id, Scope.EVERY_KEY);
            } catch (ApiException e) { // it ended meanwhile
            } catch (RuntimeException e) { // the others are still cancelled; revoking again retries this one
                log.warn("revoked key {}: {} not cancelled ({})", revoked.keyId(), id, e.toString());
            }
        }
    }
}
