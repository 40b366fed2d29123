package dev.transcriber.common.web;

/**
 * This instance has more of some work at once than it allows, and the request was refused rather than queued without
 * end: 503 {@code server_busy} with {@code Retry-After} (the official SDKs send it again). The message is the
 * caller's to read.
 */
public class ServerBusy extends RuntimeException {

    public ServerBusy(String message) {
        super(message, null, false, false);
    }
}
