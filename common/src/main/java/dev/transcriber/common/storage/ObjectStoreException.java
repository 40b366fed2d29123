package dev.transcriber.common.storage;

/** The object store could not do what was asked. */
public class ObjectStoreException extends RuntimeException {

    public ObjectStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
