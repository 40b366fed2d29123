package dev.transcriber.worker.audio;

import dev.transcriber.common.catalog.AudioFormats;

/** The stored audio cannot be transcribed; the message names the problem and is shown to the caller. */
public class InvalidAudioException extends RuntimeException {

    public InvalidAudioException(String problem) {
        super(problem);
    }

    static InvalidAudioException format(String problem) {
        return new InvalidAudioException("Invalid file format: " + problem + ". " + AudioFormats.SUPPORTED);
    }
}
