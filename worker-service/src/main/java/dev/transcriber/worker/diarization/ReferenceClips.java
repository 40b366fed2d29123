package dev.transcriber.worker.diarization;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.worker.audio.PcmWav;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Reference clips of voices, cut from a piece's decoded audio (the piece is stored as 16 kHz mono 16-bit WAV) at the
 * timestamps of the segments the upstream gave that voice. The longest clean segment is preferred (no other voice
 * overlaps it, and it does not touch the piece's edges, where a word may be cut off); a segment over 10 s gives its
 * middle 10 s; shorter ones are joined, longest first, until the clip lasts 2 s. A voice heard for less than 2 s in
 * all gets no clip (it is not sent as known; where it speaks again it gets a new label). Clips are stored as WAV.
 */
@Component
public class ReferenceClips {

    static final double MIN_SECONDS = 2;
    static final double MAX_SECONDS = 10;

    /** Segments closer than this to a piece's edge may have a word cut off. */
    private static final double EDGE = 0.1;

    private static final int RATE = PcmWav.SAMPLE_RATE;
    private static final int HEADER = PcmWav.HEADER_BYTES;

    private final ObjectStore store;

    ReferenceClips(ObjectStore store) {
        this.store = store;
    }

    /** A stretch of a piece's audio, in samples. */
    record Range(long from, long to) {

        double seconds() {
            return (to - from) / (double) RATE;
        }
    }

    /**
     * A clip for each of {@code voices} (the upstream's labels) heard in piece {@code piece} of {@code job}, whose
     * audio (WAV, {@code pieceSeconds} long) is at {@code pieceKey}; voices with too little speech are left out.
     */
    public Map<String, SpeakerLabels.Clip> cut(
            JobId job,
            int piece,
            String pieceKey,
            double pieceSeconds,
            List<Transcript.Segment> segments,
            Set<String> voices) {
        Map<String, List<Range>> chosen = new LinkedHashMap<>();
        for (String voice : voices) {
            List<Range> ranges = choose(voice, segments, pieceSeconds);
            if (!ranges.isEmpty()) {
                chosen.put(voice, ranges);
            }
        }
        if (chosen.isEmpty()) {
            return Map.of();
        }
        Map<String, byte[]> pcm = read(pieceKey, chosen);
        Map<String, SpeakerLabels.Clip> clips = new LinkedHashMap<>();
        int n = 0;
        for (Map.Entry<String, byte[]> clip : pcm.entrySet()) {
            byte[] wav = PcmWav.of(clip.getValue());
            String key = ObjectKeys.speakerClip(job, piece, n++);
            store.put(key, new ByteArrayInputStream(wav), wav.length, "audio/wav");
            clips.put(clip.getKey(), new SpeakerLabels.Clip(key, clip.getValue().length / 2.0 / RATE));
        }
        return clips;
    }

    /** The clip at {@code key} (a WAV this class cut) as a data URL, as {@code known_speaker_references[]} takes it. */
    public String dataUrl(String key) {
        return dataUrl(key, "audio/wav");
    }

    /** A stored clip of {@code contentType} (a caller's reference, or one cut here) as a data URL. */
    public String dataUrl(String key, String contentType) {
        try (InputStream in = store.open(key)) {
            return "data:" + contentType + ";base64," + Base64.getEncoder().encodeToString(in.readAllBytes());
        } catch (IOException e) {
            throw new ObjectStoreException("object store: a speaker clip could not be read: " + e, e);
        }
    }

    /** Where in the piece the clip of {@code voice} comes from; empty when it spoke less than the minimum. */
    static List<Range> choose(String voice, List<Transcript.Segment> segments, double pieceSeconds) {
        List<Transcript.Segment> own = segments.stream()
                .filter(s -> voice.equals(s.speaker()) && s.end() > s.start())
                .toList();
        List<Transcript.Segment> clean = own.stream()
                .filter(s -> s.start() >= EDGE && s.end() <= pieceSeconds - EDGE)
                .filter(s -> segments.stream()
                        .noneMatch(o -> !voice.equals(o.speaker()) && o.start() < s.end() && o.end() > s.start()))
                .toList();
        List<Transcript.Segment> candidates = new ArrayList<>(clean.isEmpty() ? own : clean);
        candidates.sort(Comparator.comparingDouble((Transcript.Segment s) -> s.end() - s.start())
                .reversed());
        List<Range> ranges = new ArrayList<>();
        double total = 0;
        for (Transcript.Segment segment : candidates) {
            double start = Math.max(0, segment.start());
            double end = Math.min(pieceSeconds, segment.end());
            double length = end - start;
            if (length > MAX_SECONDS - total) {
                double middle = (start + end) / 2;
                double keep = MAX_SECONDS - total;
                start = middle - keep / 2;
                end = middle + keep / 2;
            }
            ranges.add(new Range(Math.round(start * RATE), Math.round(end * RATE)));
            total += end - start;
            if (total >= MIN_SECONDS) {
                return ranges;
            }
        }
        return List.of();
    }

    /** The samples of every chosen range, read in one pass over the piece's audio. */
    private Map<String, byte[]> read(String pieceKey, Map<String, List<Range>> chosen) {
        record Wanted(String voice, Range range) {}
        List<Wanted> wanted = new ArrayList<>();
        chosen.forEach((voice, ranges) -> ranges.forEach(r -> wanted.add(new Wanted(voice, r))));
        wanted.sort(Comparator.comparingLong(w -> w.range().from()));
        Map<String, ByteArrayOutputStream> out = new LinkedHashMap<>();
        chosen.keySet().forEach(voice -> out.put(voice, new ByteArrayOutputStream()));
        try (InputStream in = store.open(pieceKey)) {
            in.skipNBytes(HEADER);
            long at = 0; // in samples
            for (Wanted w : wanted) {
                long from = Math.max(w.range().from(), at);
                if (w.range().to() <= from) {
                    continue; // lies within a range already read (another voice's, overlapping): left out
                }
                in.skipNBytes((from - at) * 2);
                byte[] samples = in.readNBytes((int) (w.range().to() - from) * 2);
                out.get(w.voice()).write(samples);
                at = from + samples.length / 2;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read piece audio " + pieceKey, e);
        }
        Map<String, byte[]> pcm = new LinkedHashMap<>();
        out.forEach((voice, bytes) -> {
            if (bytes.size() >= MIN_SECONDS * RATE * 2 * 0.9) {
                pcm.put(voice, bytes.toByteArray());
            }
        });
        return pcm;
    }
}
