package dev.transcriber.common.transcript;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Assembles the transcripts of a job's pieces into one: text in order, segments and words moved by each piece's
 * exact offset, usage summed. Where pieces overlap (cut without a silence), each keeps the words whose midpoint lies
 * in its own share of the audio; pieces without timestamps are joined where their texts agree instead.
 *
 * <p>Token log-probabilities ({@code include[]=logprobs}) follow the text: each piece's tokens in piece order, and where
 * two untimed pieces overlap, the tokens of the words the join drops are dropped with them (the repeated run is kept
 * once, with the earlier piece's tokens; a word cut off at the end of the earlier piece goes with its tokens). A token
 * belongs to the word its first letter is in ({@link Logprobs#wordIndices}); a piece whose tokens do not spell its
 * text keeps all of them, as does a timed piece (timestamps place words, not tokens). Pieces without logprobs add
 * none; when no piece has any, the whole has none.
 */
public final class TranscriptMerger {

    /** How many words at the end of one piece and the start of the next are searched for the shared run. */
    private static final int ALIGNMENT_WINDOW = 40;

    /** Words after the shared run at the end of a piece that may be dropped (a word cut off by the window). */
    private static final int TRAILING_FRAGMENT = 2;

    private static final double EPSILON = 1e-6;

    private TranscriptMerger() {}

    public record Piece(PieceSpan span, Transcript transcript) {

        boolean overlapsPrevious() {
            return span.ownsFrom() > span.offset() + EPSILON;
        }

        boolean overlapsNext() {
            return span.ownsUntil() < span.end() - EPSILON;
        }
    }

    public static Transcript merge(List<Piece> pieces, double duration) {
        if (diarized(pieces)) {
            return mergeDiarized(pieces, duration);
        }
        boolean timestamps = pieces.stream().allMatch(p -> p.transcript().hasTimestamps());
        boolean words =
                timestamps && pieces.stream().allMatch(p -> p.transcript().words() != null);
        List<String> text = new ArrayList<>();
        List<Transcript.Segment> segments = timestamps ? new ArrayList<>() : null;
        List<Transcript.Word> allWords = words ? new ArrayList<>() : null;
        Tokens tokens = new Tokens();
        for (Piece piece : pieces) {
            if (timestamps) {
                List<Transcript.Segment> kept = ownedSegments(piece, segments.size());
                segments.addAll(kept);
                if (words) {
                    allWords.addAll(ownedWords(piece));
                }
                text.add(
                        piece.overlapsPrevious() || piece.overlapsNext()
                                ? String.join(
                                        " ",
                                        kept.stream().map(s -> s.text().strip()).toList())
                                : piece.transcript().text().strip());
                tokens.appendWhole(piece.transcript().logprobs());
            } else if (piece.overlapsPrevious() && !text.isEmpty()) {
                String before = String.join(" ", text);
                Join join = alignment(before, piece.transcript().text(), overlapWords(piece));
                String joined = join == null
                        ? (before.strip() + " " + piece.transcript().text().strip()).strip()
                        : join.text();
                tokens.appendJoined(
                        piece.transcript(),
                        join == null ? Logprobs.wordCount(before) : join.keptBefore(),
                        join == null ? 0 : join.skippedAfter());
                text.clear();
                text.add(joined);
            } else {
                tokens.appendJoined(piece.transcript(), Logprobs.wordCount(String.join(" ", text)), 0);
                text.add(piece.transcript().text().strip());
            }
        }
        String language = pieces.stream()
                .map(p -> p.transcript().language())
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
        return new Transcript(
                String.join(" ", text.stream().filter(t -> !t.isEmpty()).toList()),
                language,
                duration,
                sum(pieces.stream().map(p -> p.transcript().usage()).toList()),
                segments,
                allWords,
                pieces.stream().anyMatch(p -> p.transcript().logprobs() != null) ? tokens.list() : null);
    }

    /**
     * The merged tokens and the word of the merged text each belongs to (-1: unknown, always kept), so a later join
     * that keeps only the first words of the text so far can drop the tokens of the others.
     */
    private static final class Tokens {
        private final List<Logprob> tokens = new ArrayList<>();
        private final List<Integer> words = new ArrayList<>();

        /** A piece's tokens, all kept, their words unknown. */
        void appendWhole(List<Logprob> piece) {
            if (piece != null) {
                piece.forEach(t -> {
                    tokens.add(t);
                    words.add(-1);
                });
            }
        }

        /**
         * Keeps the tokens of the first {@code keptBefore} words of the text so far, then adds the piece's tokens
         * from its word {@code skippedAfter} on, numbered after them.
         */
        void appendJoined(Transcript piece, int keptBefore, int skippedAfter) {
            for (int i = tokens.size() - 1; i >= 0; i--) {
                if (words.get(i) >= keptBefore) {
                    tokens.remove(i);
                    words.remove(i);
                }
            }
            List<Logprob> own = piece.logprobs();
            if (own == null) {
                return;
            }
            int[] at = Logprobs.wordIndices(piece.text(), own);
            if (at == null) {
                appendWhole(own);
                return;
            }
            for (int i = 0; i < own.size(); i++) {
                if (at[i] >= skippedAfter) {
                    tokens.add(own.get(i));
                    words.add(keptBefore + at[i] - skippedAfter);
                }
            }
        }

        List<Logprob> list() {
            return List.copyOf(tokens);
        }
    }

    /**
     * True when the pieces' segments say who speaks (and there are no word timestamps): they are joined by
     * {@link DiarizedMerge}.
     */
    static boolean diarized(List<Piece> pieces) {
        return pieces.stream().anyMatch(p -> p.transcript().hasSpeakers())
                && pieces.stream()
                        .allMatch(p -> p.transcript().hasTimestamps()
                                && p.transcript().words() == null
                                && p.transcript().segments().stream().allMatch(s -> s.speaker() != null));
    }

    private static Transcript mergeDiarized(List<Piece> pieces, double duration) {
        List<Transcript.Segment> segments = DiarizedMerge.segments(pieces);
        String language = pieces.stream()
                .map(p -> p.transcript().language())
                .filter(Objects::nonNull)
                .findFirst()
                .orElse(null);
        return new Transcript(
                String.join(
                        " ",
                        segments.stream()
                                .map(s -> s.text().strip())
                                .filter(t -> !t.isEmpty())
                                .toList()),
                language,
                duration,
                sum(pieces.stream().map(p -> p.transcript().usage()).toList()),
                segments,
                null);
    }

    /**
     * The diarized segments of the first pieces that later pieces cannot change, for streaming: all of them once every
     * piece is in; otherwise those that end before the last piece's overlap with the next one begins (a turn running
     * into it may still be joined with the next piece's copy). {@code total} is null while the audio is still being
     * cut.
     */
    public static List<Transcript.Segment> settledSegments(List<Piece> firstPieces, Integer total) {
        if (firstPieces.isEmpty() || !diarized(firstPieces)) {
            return List.of();
        }
        List<Transcript.Segment> segments = DiarizedMerge.segments(firstPieces);
        if (total != null && firstPieces.size() >= total) {
            return segments;
        }
        PieceSpan last = firstPieces.getLast().span();
        double overlapStart = 2 * last.ownsUntil() - last.end();
        return segments.stream()
                .takeWhile(s -> s.end() <= overlapStart + EPSILON)
                .toList();
    }

    /**
     * The text of the first pieces that later pieces cannot change, for streaming: all of it once every piece is
     * in; without the last piece's text while that piece overlaps the next one and has no timestamps to settle it.
     * {@code total} is null while the audio is still being cut.
     */
    public static String settledText(List<Piece> firstPieces, Integer total) {
        return settled(firstPieces, total).text();
    }

    /** As {@link #settledText}, the whole merged transcript of the settled pieces (its logprobs too). */
    public static Transcript settled(List<Piece> firstPieces, Integer total) {
        if (firstPieces.isEmpty()) {
            return new Transcript("", null, 0.0, null);
        }
        List<Piece> settled = firstPieces;
        Piece last = firstPieces.getLast();
        if ((total == null || firstPieces.size() < total)
                && last.overlapsNext()
                && !last.transcript().hasTimestamps()) {
            settled = firstPieces.subList(0, firstPieces.size() - 1);
        }
        return merge(settled, 0);
    }

    private static List<Transcript.Segment> ownedSegments(Piece piece, int firstId) {
        PieceSpan span = piece.span();
        List<Transcript.Word> words = piece.transcript().words() == null
                ? null
                : piece.transcript().words().stream()
                        .map(w -> w.shifted(span.offset()))
                        .toList();
        List<Transcript.Segment> kept = new ArrayList<>();
        for (Transcript.Segment segment : piece.transcript().segments()) {
            Transcript.Segment moved = segment.shifted(firstId + kept.size(), span.offset());
            boolean inside = moved.start() >= span.ownsFrom() - EPSILON && moved.end() <= span.ownsUntil() + EPSILON;
            if (inside) {
                kept.add(moved);
            } else if (words != null) {
                // A segment across a shared boundary keeps only its own words.
                List<Transcript.Word> own = words.stream()
                        .filter(w -> w.midpoint() >= moved.start() && w.midpoint() <= moved.end())
                        .filter(w -> span.owns(w.midpoint()))
                        .toList();
                if (!own.isEmpty()) {
                    kept.add(new Transcript.Segment(
                            firstId + kept.size(),
                            own.getFirst().start(),
                            own.getLast().end(),
                            " "
                                    + String.join(
                                            " ",
                                            own.stream()
                                                    .map(w -> w.word().strip())
                                                    .toList())));
                }
            } else if (span.owns(moved.midpoint())) {
                kept.add(moved);
            }
        }
        return kept;
    }

    private static List<Transcript.Word> ownedWords(Piece piece) {
        return piece.transcript().words().stream()
                .map(w -> w.shifted(piece.span().offset()))
                .filter(w -> piece.span().owns(w.midpoint()))
                .toList();
    }

    /**
     * Joins two texts that repeat a few words where their audio overlapped: finds the longest run of words (two or
     * more) that ends the first (but for a cut-off word or two) and lies within the first {@code window} words of the
     * second, and keeps it once.
     * Without such a run the texts are simply joined.
     */
    static String align(String before, String after) {
        return align(before, after, ALIGNMENT_WINDOW);
    }

    /**
     * How many words at the start of an untimed piece can lie in its overlap with the previous one: its words per
     * second (on average) times the overlap, doubled for safety. Searching no further keeps repeated phrases
     * elsewhere in the piece from being mistaken for the overlap.
     */
    private static int overlapWords(Piece piece) {
        double overlap = 2 * (piece.span().ownsFrom() - piece.span().offset());
        int words = piece.transcript().text().strip().split("\\s+").length;
        double perSecond = piece.span().duration() > 0 ? words / piece.span().duration() : words;
        return Math.min(ALIGNMENT_WINDOW, (int) Math.ceil(2 * perSecond * overlap) + 2);
    }

    static String align(String before, String after, int window) {
        Join join = alignment(before, after, window);
        return join == null ? (before.strip() + " " + after.strip()).strip() : join.text();
    }

    /**
     * Where two overlapping texts join: the text, how many words of the first it keeps and how many at the start of
     * the second it drops (the shared run and what came before it).
     */
    private record Join(String text, int keptBefore, int skippedAfter) {}

    /** The join of {@link #align}; null when no shared run was found (the texts are simply joined). */
    private static Join alignment(String before, String after, int window) {
        String[] a = before.strip().split("\\s+");
        String[] b = after.strip().split("\\s+");
        if (after.isBlank()) {
            return new Join(before.strip(), Logprobs.wordCount(before), 0);
        }
        int bestLength = 0;
        int bestA = -1;
        int bestB = -1;
        for (int i = Math.max(0, a.length - window); i < a.length; i++) {
            for (int j = 0; j < Math.min(b.length, window); j++) {
                int n = 0;
                while (i + n < a.length && j + n < b.length && same(a[i + n], b[j + n])) {
                    n++;
                }
                // The shared run is the end of the first text, give or take a word cut off at the edge.
                boolean reachesEnd = i + n >= a.length - TRAILING_FRAGMENT;
                if (reachesEnd && n > bestLength) {
                    bestLength = n;
                    bestA = i;
                    bestB = j;
                }
            }
        }
        if (bestLength < 2) {
            return null;
        }
        List<String> joined = new ArrayList<>(Arrays.asList(a).subList(0, bestA + bestLength));
        joined.addAll(Arrays.asList(b).subList(bestB + bestLength, b.length));
        return new Join(String.join(" ", joined), bestA + bestLength, bestB + bestLength);
    }

    private static boolean same(String x, String y) {
        return normalise(x).equals(normalise(y)) && !normalise(x).isEmpty();
    }

    private static String normalise(String word) {
        return word.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}']", "");
    }

    static Usage sum(List<Usage> usages) {
        List<Usage> known = usages.stream().filter(Objects::nonNull).toList();
        if (known.isEmpty()) {
            return null;
        }
        if (known.stream().allMatch(u -> "duration".equals(u.type()))) {
            double seconds = known.stream()
                    .mapToDouble(u -> u.seconds() == null ? 0 : u.seconds())
                    .sum();
            return Usage.duration(Math.round(seconds * 1000) / 1000.0);
        }
        long audio = 0;
        long text = 0;
        long output = 0;
        for (Usage u : known) {
            long input = u.inputTokens() == null ? 0 : u.inputTokens();
            long audioTokens =
                    u.inputTokenDetails() != null && u.inputTokenDetails().audioTokens() != null
                            ? u.inputTokenDetails().audioTokens()
                            : input;
            audio += audioTokens;
            text += input - audioTokens;
            output += u.outputTokens() == null ? 0 : u.outputTokens();
        }
        return Usage.tokens(audio, text, output);
    }
}
