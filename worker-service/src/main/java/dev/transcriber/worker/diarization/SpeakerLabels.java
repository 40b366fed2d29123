package dev.transcriber.worker.diarization;

import dev.transcriber.common.store.StoredText;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.worker.accounts.UpstreamCall;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The labels of a diarized job cut into pieces. A voice's label is a letter given in the order voices are first heard
 * in the whole audio ({@code A}, {@code B}, ..., {@code Z}, {@code AA}, ...), as OpenAI labels the voices of one call;
 * the first piece fixes the first letters and each later piece adds the voices it hears first. Upstream, a known voice
 * is named {@code speaker_<label>} with its reference clip: a bare letter would be ambiguous, since the upstream also
 * letters the voices it does not recognise. A label the upstream gives that is not a letter (a name the caller gave it
 * with a reference of their own) is kept as it is.
 */
public final class SpeakerLabels {

    private static final String UPSTREAM_PREFIX = "speaker_";

    /**
     * The longest label an upstream may give a speaker that is kept as it is: sent back as {@code speaker_<label>}, it
     * stays within the 64 characters a known speaker's name may have.
     */
    static final int MAX_LABEL_CHARS = 64 - UPSTREAM_PREFIX.length();

    private SpeakerLabels() {}

    public static String upstreamName(String label) {
        return UPSTREAM_PREFIX + label;
    }

    /** The label of the voice first heard in {@code position}th place: A..Z, then AA, AB, ... */
    public static String letter(int position) {
        StringBuilder label = new StringBuilder();
        int n = position;
        do {
            label.insert(0, (char) ('A' + n % 26));
            n = n / 26 - 1;
        } while (n >= 0);
        return label.toString();
    }

    /**
     * The voices sent upstream as known: those with a reference clip, at most four (the upstream's limit), the ones
     * who have spoken longest first (then the first heard). A fifth voice is not sent: where it speaks again it comes
     * back unrecognised and is given a new label.
     */
    public static List<Speaker> references(List<Speaker> speakers) {
        return speakers.stream()
                .filter(s -> s.clipKey() != null)
                .sorted(Comparator.comparingDouble(Speaker::spokenSeconds)
                        .reversed()
                        .thenComparingInt(Speaker::position))
                .limit(UpstreamCall.Diarization.MAX_KNOWN_SPEAKERS)
                .toList();
    }

    /** A reference clip cut for a voice the upstream did not recognise: its object key and length. */
    public record Clip(String objectKey, double seconds) {}

    /** A piece's transcript with the job's labels, the voices it heard first, and how long each label spoke in it. */
    public record Relabelled(Transcript transcript, List<Speaker> newSpeakers, Map<String, Double> spoken) {}

    /**
     * Gives the segments of piece {@code pieceIndex} the job's labels: a voice the upstream recognised by the name it
     * was sent ({@code sent}: upstream name to label) keeps its label; any other voice is new and gets the next label,
     * with the reference clip cut for it ({@code clips}, by the upstream's label; none if too little was heard).
     */
    public static Relabelled relabel(
            Transcript transcript,
            Map<String, String> sent,
            List<Speaker> known,
            int pieceIndex,
            Map<String, Clip> clips) {
        Set<String> taken = new HashSet<>();
        known.forEach(s -> taken.add(s.label()));
        Map<String, String> labels = new LinkedHashMap<>(sent);
        List<Speaker> added = new ArrayList<>();
        Map<String, Double> spoken = new LinkedHashMap<>();
        List<Transcript.Segment> segments = new ArrayList<>();
        int position = known.size();
        for (Transcript.Segment segment : transcript.segments()) {
            String heard = segment.speaker();
            String label = labels.get(heard);
            if (label == null) {
                label = keepable(heard) && !heard.matches("[A-Z]{1,3}") && !taken.contains(heard)
                        ? heard
                        : nextLetter(position, taken);
                taken.add(label);
                labels.put(heard, label);
                Clip clip = clips.get(heard);
                added.add(new Speaker(
                        label,
                        position++,
                        pieceIndex,
                        clip == null ? null : clip.objectKey(),
                        clip == null ? null : clip.seconds(),
                        0));
            }
            spoken.merge(label, Math.max(0, segment.end() - segment.start()), Double::sum);
            segments.add(segment.withSpeaker(label));
        }
        Transcript relabelled = new Transcript(
                transcript.text(),
                transcript.language(),
                transcript.duration(),
                transcript.usage(),
                segments,
                transcript.words());
        return new Relabelled(relabelled, added, spoken);
    }

    /**
     * Whether a label an upstream chose can stand as it is: short, printable text (a row of the job's speakers is keyed
     * by it, and PostgreSQL stores no NUL); any other gets the next letter.
     */
    private static boolean keepable(String heard) {
        return heard != null
                && !heard.isBlank()
                && heard.length() <= MAX_LABEL_CHARS
                && heard.equals(StoredText.withoutControls(heard));
    }

    private static String nextLetter(int position, Set<String> taken) {
        int n = position;
        while (taken.contains(letter(n))) {
            n++;
        }
        return letter(n);
    }
}
