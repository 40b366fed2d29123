package dev.transcriber.api.intake;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.CatalogModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.springframework.http.HttpStatus;

/**
 * {@code known_speaker_names[]} and {@code known_speaker_references[]}: at most four of each, paired by index, each
 * reference a {@code data:} URL of audio in base64 (decoded here; a WAV clip's length is read from its header and must
 * be 1.2 to 10 seconds, OpenAI's own bounds; other formats are measured by the upstream). Only diarization models
 * take them.
 */
public final class KnownSpeakers {

    static final String NAMES = "known_speaker_names[]";
    static final String REFERENCES = "known_speaker_references[]";
    static final int MAX_NAME_LENGTH = 64;
    static final double MIN_SECONDS = 1.2;
    static final double MAX_SECONDS = 10.0;

    /** A known speaker's name and reference clip, decoded: its media type and bytes. */
    public record Clip(String name, String contentType, byte[] audio) {}

    private KnownSpeakers() {}

    /** A media type of audio, as a store can record it: {@code audio/} and a plain subtype. */
    private static final java.util.regex.Pattern AUDIO_TYPE =
            java.util.regex.Pattern.compile("audio/[a-z0-9][a-z0-9.+-]{0,63}");

    /**
     * The labels voices that match no known speaker get (the upstream's letters, and the names the gateway gives the
     * voices it carries across pieces): a caller's name must not be mistaken for one.
     */
    private static final java.util.regex.Pattern RESERVED_NAME =
            java.util.regex.Pattern.compile("[A-Z]|(?i:speaker_.*)");

    static List<Clip> parse(AudioUpload upload, String model, CatalogModel served) {
        List<String> names = upload.list(NAMES);
        List<String> references = upload.list(REFERENCES);
        if (names.isEmpty() && references.isEmpty()) {
            return List.of();
        }
        if (!served.diarizes()) {
            throw ApiException.unsupportedValue(
                    names.isEmpty() ? REFERENCES : NAMES,
                    "known_speaker_names[] and known_speaker_references[] are only supported for diarization models,"
                            + " not '" + model + "'.");
        }
        if (names.size() > MultipartAudioReader.MAX_SPEAKER_REFERENCES) {
            throw ApiException.invalidRequest(
                    "Invalid 'known_speaker_names': at most " + MultipartAudioReader.MAX_SPEAKER_REFERENCES
                            + " known speakers can be given, got " + names.size() + ".",
                    NAMES);
        }
        if (names.size() != references.size()) {
            throw ApiException.invalidRequest(
                    "known_speaker_names[] and known_speaker_references[] are paired by index and must have as many"
                            + " items: got " + names.size() + " names and " + references.size() + " references.",
                    names.size() < references.size() ? NAMES : REFERENCES);
        }
        List<Clip> clips = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i).strip();
            if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
                throw ApiException.invalidRequest(
                        "Invalid 'known_speaker_names[" + i + "]': expected 1 to " + MAX_NAME_LENGTH + " characters.",
                        NAMES);
            }
            if (name.chars().anyMatch(Character::isISOControl)) {
                throw ApiException.invalidRequest(
                        "Invalid 'known_speaker_names[" + i + "]': control characters are not allowed.", NAMES);
            }
            if (RESERVED_NAME.matcher(name).matches()) {
                throw ApiException.invalidRequest(
                        "Invalid 'known_speaker_names[" + i + "]': '" + name + "' is reserved for voices that match no"
                                + " known speaker (single capital letters such as A and B, and speaker_ names); choose another name.",
                        NAMES);
            }
            if (clips.stream().anyMatch(c -> c.name().equals(name))) {
                throw ApiException.invalidRequest(
                        "Invalid 'known_speaker_names[" + i + "]': '" + name + "' is given twice.", NAMES);
            }
            clips.add(clip(name, references.get(i).strip(), i));
        }
        return clips;
    }

    /** A {@code data:audio/...;base64,...} URL, decoded; a WAV clip must be 1.2 to 10 seconds. */
    static Clip clip(String name, String url, int index) {
        int comma = url.indexOf(',');
        String header = comma < 0 ? "" : url.substring(0, comma).toLowerCase(Locale.ROOT);
        if (!header.startsWith("data:") || !header.endsWith(";base64")) {
            throw badReference(index, "expected a data URL of audio in base64 (data:audio/wav;base64,...)");
        }
        String type = header.substring("data:".length(), header.indexOf(';')).strip();
        if (!AUDIO_TYPE.matcher(type).matches() && !type.equals("video/mp4") && !type.equals("video/webm")) {
            throw badReference(
                    index,
                    "its media type '" + (type.length() > 64 ? type.substring(0, 64) + "..." : type)
                            + "' is not audio");
        }
        byte[] audio;
        try {
            audio = Base64.getDecoder().decode(url.substring(comma + 1).replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw badReference(index, "its base64 data cannot be decoded");
        }
        if (audio.length == 0) {
            throw badReference(index, "it holds no audio");
        }
        Double seconds = wavSeconds(audio);
        if (seconds != null && (seconds < MIN_SECONDS || seconds > MAX_SECONDS)) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    "invalid_request_error",
                    "invalid_value",
                    REFERENCES,
                    String.format(
                            Locale.ROOT,
                            "Known speaker references has duration %.2f seconds, but must be between %.1f and %.1f"
                                    + " seconds",
                            seconds,
                            MIN_SECONDS,
                            MAX_SECONDS));
        }
        return new Clip(name, type, audio);
    }

    /**
     * The length of a RIFF/WAVE clip from its {@code fmt } and {@code data} chunks; null when it is not one (or its
     * header is not one we can read: then the upstream measures it).
     */
    static Double wavSeconds(byte[] audio) {
        if (audio.length < 12
                || !new String(audio, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("RIFF")
                || !new String(audio, 8, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("WAVE")) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(audio).order(ByteOrder.LITTLE_ENDIAN);
        long byteRate = 0;
        long next = 12; // a chunk's size is the clip's to say: where the next one starts may be beyond any int
        while (next + 8 <= audio.length) {
            int at = (int) next;
            String id = new String(audio, at, 4, java.nio.charset.StandardCharsets.US_ASCII);
            long size = Integer.toUnsignedLong(buffer.getInt(at + 4));
            if (id.equals("fmt ") && at + 20 <= audio.length) {
                byteRate = Integer.toUnsignedLong(buffer.getInt(at + 8 + 8));
            } else if (id.equals("data")) {
                long data = Math.min(size, audio.length - (at + 8L)); // a streamed WAV may say 0xFFFFFFFF
                return byteRate == 0 ? null : data / (double) byteRate;
            }
            next += 8 + size + (size & 1);
        }
        return null;
    }

    private static ApiException badReference(int index, String why) {
        return ApiException.invalidRequest(
                "Invalid 'known_speaker_references[" + index + "]': " + why + ".", REFERENCES);
    }
}
