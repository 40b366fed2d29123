package dev.transcriber.common.transcript;

/**
 * Where a piece lies in its parent's audio, in seconds: it starts at {@code offset} and lasts {@code duration}; the
 * words and segments whose midpoint falls in [{@code ownsFrom}, {@code ownsUntil}) are its contribution to the
 * whole (pieces cut without a silence overlap their neighbours, and each overlap is shared at its middle).
 */
public record PieceSpan(double offset, double duration, double ownsFrom, double ownsUntil) {

    public double end() {
        return offset + duration;
    }

    public boolean owns(double midpoint) {
        return midpoint >= ownsFrom && midpoint < ownsUntil;
    }
}
