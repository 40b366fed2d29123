package dev.transcriber.common.net;

/** A URL the gateway refuses to call; the message names why (for the caller). */
public class DisallowedAddressException extends RuntimeException {

    public DisallowedAddressException(String reason) {
        super(reason);
    }
}
