package dev.transcriber.worker.audio;

/**
 * The job's audio_url could not be fetched for a reason that may go away (the origin unreachable, a connection cut, an
 * origin 5xx): not a verdict on the audio. The job tries again with back-off, then fails with a code of its own that
 * its owner may retry.
 */
public class AudioSourceUnavailableException extends RuntimeException {

    public AudioSourceUnavailableException(String problem) {
        super(problem);
    }
}
