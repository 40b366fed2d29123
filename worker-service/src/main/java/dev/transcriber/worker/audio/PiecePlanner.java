package dev.transcriber.worker.audio;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides where long audio is cut, in samples. Each piece is as long as allowed ({@code maxSamples}): it ends in
 * the middle of the last silence that fits, so no word is cut. Where no silence fits, the piece ends at the limit
 * and the next one starts {@code overlapSamples} earlier; the overlap is shared at its middle, and each piece keeps
 * only the words whose midpoint falls in its own share.
 */
public final class PiecePlanner {

    private PiecePlanner() {}

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

    public static List<PlannedPiece> plan(
            long totalSamples, List<Silence> silences, long maxSamples, long minSamples, long overlapSamples) {
        if (maxSamples <= overlapSamples * 2 || minSamples >= maxSamples) {
            throw new IllegalArgumentException("pieces of " + maxSamples + " samples cannot hold an overlap of "
                    + overlapSamples + " and a minimum of " + minSamples);
        }
        List<PlannedPiece> pieces = new ArrayList<>();
        long start = 0;
        long ownsFrom = 0;
        while (totalSamples - start > maxSamples) {
            long limit = start + maxSamples;
            long earliest = Math.max(start + minSamples, ownsFrom + 1);
            long cut = -1;
            for (Silence silence : silences) {
                long middle = silence.middle();
                if (middle > earliest && middle <= limit) {
                    cut = middle; // the latest silence that fits makes the longest piece
                }
            }
            if (cut > 0) {
                pieces.add(new PlannedPiece(pieces.size(), start, cut, ownsFrom, cut));
                start = cut;
                ownsFrom = cut;
            } else {
                long shared = limit - overlapSamples / 2;
                pieces.add(new PlannedPiece(pieces.size(), start, limit, ownsFrom, shared));
                start = limit - overlapSamples;
                ownsFrom = shared;
            }
        }
        pieces.add(new PlannedPiece(pieces.size(), start, totalSamples, ownsFrom, totalSamples));
        return pieces;
    }
}
