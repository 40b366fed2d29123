package dev.transcriber.worker.audio;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Decides where long audio is cut, in samples. Each piece is as long as allowed ({@code maxSamples}): it ends in
 * the middle of the last silence that fits, so no word is cut. Where no silence fits, the piece ends at the limit
 * and the next one starts {@code overlapSamples} earlier; the overlap is shared at its middle, and each piece keeps
 * only the words whose midpoint falls in its own share.
 *
 * <p>The planner works while the audio is still being decoded: {@link #next} gives the next piece as soon as the
 * audio decoded so far settles where it ends, so pieces can be transcribed while the rest is decoded.
 */
public final class PiecePlanner {

    private final long maxSamples;
    private final long minSamples;
    private final long overlapSamples;
    private long start;
    private long ownsFrom;
    private int index;

    public PiecePlanner(long maxSamples, long minSamples, long overlapSamples) {
        if (maxSamples <= overlapSamples * 2 || minSamples >= maxSamples) {
            throw new IllegalArgumentException("pieces of " + maxSamples + " samples cannot hold an overlap of "
                    + overlapSamples + " and a minimum of " + minSamples);
        }
        this.maxSamples = maxSamples;
        this.minSamples = minSamples;
        this.overlapSamples = overlapSamples;
    }

    /** A stretch of silence, in samples. */
    public record Silence(long start, long end) {

        long middle() {
            return (start + end) / 2;
        }
    }

    /** Piece {@code index} spans samples [start, end) and owns the words whose midpoint is in [ownsFrom, ownsUntil). */
    public record PlannedPiece(int index, long start, long end, long ownsFrom, long ownsUntil) {

        public long length() {
            return end - start;
        }
    }

    /** The whole plan for audio decoded to the end. */
    public static List<PlannedPiece> plan(
            long totalSamples, List<Silence> silences, long maxSamples, long minSamples, long overlapSamples) {
        PiecePlanner planner = new PiecePlanner(maxSamples, minSamples, overlapSamples);
        List<PlannedPiece> pieces = new ArrayList<>();
        Optional<PlannedPiece> next;
        while ((next = planner.next(totalSamples, silences, -1)).isPresent()) {
            pieces.add(next.get());
        }
        pieces.add(planner.last(totalSamples));
        return pieces;
    }

    /**
     * The next piece, once it is settled: more than its window has been decoded ({@code decoded} samples), and no
     * silence that began inside the window is still going on ({@code openSilenceStart}, or -1).
     */
    public Optional<PlannedPiece> next(long decoded, List<Silence> silences, long openSilenceStart) {
        long limit = start + maxSamples;
        if (decoded <= limit || (openSilenceStart >= 0 && openSilenceStart <= limit)) {
            return Optional.empty();
        }
        long earliest = Math.max(start + minSamples, ownsFrom + 1);
        long cut = -1;
        for (Silence silence : silences) {
            long middle = silence.middle();
            if (middle > earliest && middle <= limit) {
                cut = middle; // the latest silence that fits makes the longest piece
            }
        }
        PlannedPiece piece;
        if (cut > 0) {
            piece = new PlannedPiece(index++, start, cut, ownsFrom, cut);
            start = cut;
            ownsFrom = cut;
        } else {
            long shared = limit - overlapSamples / 2;
            piece = new PlannedPiece(index++, start, limit, ownsFrom, shared);
            start = limit - overlapSamples;
            ownsFrom = shared;
        }
        return Optional.of(piece);
    }

    /** The piece that ends the audio, once all of it ({@code totalSamples}) is decoded and no other piece fits. */
    public PlannedPiece last(long totalSamples) {
        return new PlannedPiece(index++, start, totalSamples, ownsFrom, totalSamples);
    }
}
