package dev.transcriber.common.transcript;

import java.util.ArrayList;
import java.util.List;

/**
 * Joins the diarized segments of consecutive pieces by timestamp. A diarized answer has segments (who spoke, from when
 * to when) but no word timestamps, so where two pieces overlap (cut without a silence) a turn that runs over the cut
 * comes back twice, cut short at the piece's edge in each. Such a pair (same speaker, overlapping in time, one from
 * each side of the overlap) is one segment: the copy that holds the other in time is kept, or, when each copy misses
 * an end of the turn, the two are joined (start of the first, end of the second, the texts joined where their words
 * agree). Any other segment in the overlap belongs to the piece that owns its midpoint, as with words. Pieces cut at
 * a silence do not overlap: their segments are kept as they are.
 */
final class DiarizedMerge {

    /** How far a segment may end past another (or start before it) and still count as held by it, in seconds. */
    private static final double TOLERANCE = 0.25;

    private static final double EPSILON = 1e-6;

    private DiarizedMerge() {}

    static List<Transcript.Segment> segments(List<TranscriptMerger.Piece> pieces) {
        List<Transcript.Segment> merged = new ArrayList<>();
        TranscriptMerger.Piece previous = null;
        for (TranscriptMerger.Piece piece : pieces) {
            double offset = piece.span().offset();
            List<Transcript.Segment> own = piece.transcript().segments().stream()
                    .map(s -> s.shifted(0, offset))
                    .toList();
            if (previous == null || !piece.overlapsPrevious()) {
                merged.addAll(own);
            } else {
                joinAcross(
                        merged, own, offset, previous.span().end(), piece.span().ownsFrom());
            }
            previous = piece;
        }
        List<Transcript.Segment> numbered = new ArrayList<>(merged.size());
        for (Transcript.Segment segment : merged) {
            numbered.add(segment.shifted(numbered.size(), 0));
        }
        return numbered;
    }

    /**
     * Adds {@code next}'s segments to {@code merged}, where the previous piece's audio runs until {@code previousEnd}
     * and {@code next}'s starts at {@code nextStart}; {@code shared} is the middle of that overlap.
     */
    private static void joinAcross(
            List<Transcript.Segment> merged,
            List<Transcript.Segment> next,
            double nextStart,
            double previousEnd,
            double shared) {
        int tailFrom = merged.size();
        while (tailFrom > 0 && merged.get(tailFrom - 1).end() > nextStart + EPSILON) {
            tailFrom--;
        }
        List<Transcript.Segment> tail = new ArrayList<>(merged.subList(tailFrom, merged.size()));
        merged.subList(tailFrom, merged.size()).clear();
        boolean[] taken = new boolean[next.size()];
        for (Transcript.Segment before : tail) {
            int match = -1;
            for (int j = 0; j < next.size() && next.get(j).start() < previousEnd - EPSILON; j++) {
                Transcript.Segment after = next.get(j);
                if (!taken[j] && sameTurn(before, after)) {
                    match = j;
                    break;
                }
            }
            if (match >= 0) {
                taken[match] = true;
                merged.add(joined(before, next.get(match)));
            } else if (before.midpoint() < shared) {
                merged.add(before);
            }
        }
        for (int j = 0; j < next.size(); j++) {
            Transcript.Segment after = next.get(j);
            boolean inOverlap = after.start() < previousEnd - EPSILON;
            if (!taken[j] && (!inOverlap || after.midpoint() >= shared)) {
                merged.add(after);
            }
        }
        merged.sort((a, b) -> Double.compare(a.start(), b.start()));
    }

    private static boolean sameTurn(Transcript.Segment a, Transcript.Segment b) {
        return a.speaker() != null
                && a.speaker().equals(b.speaker())
                && Math.min(a.end(), b.end()) - Math.max(a.start(), b.start()) > 0;
    }

    /** One segment from the two copies of a turn seen from both sides of a cut. */
    static Transcript.Segment joined(Transcript.Segment before, Transcript.Segment after) {
        if (after.end() <= before.end() + TOLERANCE) {
            return before; // the later copy lies within the earlier one
        }
        if (before.start() >= after.start() - TOLERANCE) {
            return after; // the earlier copy lies within the later one
        }
        String text = TranscriptMerger.align(before.text(), after.text()).strip();
        String lead = before.text().startsWith(" ") ? " " : "";
        return new Transcript.Segment(before.id(), before.start(), after.end(), lead + text, before.speaker());
    }
}
