package dev.transcriber.worker.diarization;

/**
 * A voice heard in a diarized job: its {@code label} in the whole transcript, the order it was first heard in
 * ({@code position}) and in which piece, its reference clip (null when too little clean speech was heard to cut one)
 * and how long it has spoken so far.
 */
public record Speaker(
        String label, int position, int firstPiece, String clipKey, Double clipSeconds, double spokenSeconds) {

    /** The name the upstream is given for this voice with its reference clip; never a bare letter (see below). */
    public String upstreamName() {
        return SpeakerLabels.upstreamName(label);
    }
}
