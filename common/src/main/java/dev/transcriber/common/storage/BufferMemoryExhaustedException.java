package dev.transcriber.common.storage;

import java.time.Duration;

/**
 * An upload found the process's memory for parts on their way to the store spent ({@code
 * transcriber.storage.buffer-memory}) and waited {@code buffer-wait} in vain: the store is not at fault, the process is
 * receiving more at once than it may hold. A caller's request is answered 503 to be sent again.
 */
public class BufferMemoryExhaustedException extends ObjectStoreException {

    BufferMemoryExhaustedException(Duration waited) {
        super("object store: no memory left for another upload's part within " + waited, null);
    }
}
