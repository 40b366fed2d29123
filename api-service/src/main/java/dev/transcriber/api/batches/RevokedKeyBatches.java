package dev.transcriber.api.batches;

import dev.transcriber.api.keys.KeyRevoked;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.store.BatchRepository;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * A revoked key's batches that have not ended are cancelled, as its owner's cancel would: their waiting items are
 * cancelled, running ones finish, and one still expanding stops.
 */
@Component
class RevokedKeyBatches {

    private final BatchRepository batches;
    private final BatchCommands commands;

    RevokedKeyBatches(BatchRepository batches, BatchCommands commands) {
        this.batches = batches;
        this.commands = commands;
    }

    @EventListener
    void on(KeyRevoked revoked) {
        revoked.cancelEach(batches.findOpenOfKey(revoked.keyId()), id -> commands.cancel(id, Scope.EVERY_KEY));
    }
}
