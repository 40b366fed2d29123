package dev.transcriber.worker.audio;

/** The stored audio cannot be transcribed; the message names the problem and is shown to the caller. */
public class InvalidAudioException extends RuntimeException {

    public static final String SUPPORTED =
            "Supported formats: ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";

    public InvalidAudioException(String problem) {
        super(problem);
    }

    static InvalidAudioException format(String problem) {
        return new InvalidAudioException("Invalid file format: " + problem + ". " + SUPPORTED);
    }
}
