package dev.transcriber.api.intake;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.catalog.AudioFormats;
import dev.transcriber.common.storage.BufferMemoryExhaustedException;
import dev.transcriber.common.storage.CountingInputStream;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.KnownSpeaker;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.StoredText;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Reads a {@code multipart/form-data} request as a stream: text fields into a map (a field sent several times keeps
 * each value, in order), the {@code file} part straight into the object store, counting bytes against the size limit
 * on the way. The audio is never held in memory beyond one multipart part of the object store client, and, for a sync
 * call's hand-off, a copy of small audio kept within a budget by the stream its caller passes in.
 *
 * <p>Text fields are bounded: 256 KiB each, 1 MiB together with their names, {@value #MAX_FIELD_VALUES} values in all. The one
 * exception is {@code known_speaker_references[]} (data URLs of audio clips, about 430 KB for 10 s of 16 kHz WAV):
 * each of its values may be up to {@code transcriber.api.max-speaker-reference-size}, at most
 * {@value #MAX_SPEAKER_REFERENCES} of them, counted apart from the 1 MiB of the other fields. The whole body is
 * bounded by the sum of those limits whether its length is declared or not (413): a part this reader skips (a file
 * part of another name, a preamble) is counted too. A text value carries no NUL character (PostgreSQL stores none:
 * 400 naming the field); the file's name and type are the caller's labels, kept without control characters.
 */
@Component
public class MultipartAudioReader {

    /** Room for the multipart framing and the text fields around the file. */
    private static final long FORM_OVERHEAD = 1024 * 1024;

    private static final int MAX_FIELD_CHARS = 64 * 1024;

    /** How many text values one request may carry, all fields together. */
    static final int MAX_FIELD_VALUES = 1000;

    /** OpenAI's {@code maxItems} for known speakers. */
    public static final int MAX_SPEAKER_REFERENCES = KnownSpeaker.MAX_PER_REQUEST;

    static final String SPEAKER_REFERENCES = "known_speaker_references";

    /** All the text fields of one request together. */
    private static final int MAX_FIELDS_BYTES = 1024 * 1024;

    /** The headers of one part. */
    private static final int MAX_PART_HEADER_BYTES = 16 * 1024;

    static final String INVALID_FILE_FORMAT = "Invalid file format. " + AudioFormats.SUPPORTED;

    private final ObjectStore store;
    private final long maxBytes;
    private final int maxReferenceBytes;
    private final long maxFormBytes;

    MultipartAudioReader(ObjectStore store, ApiProperties properties) {
        this.store = store;
        this.maxBytes = properties.maxUploadSize().toBytes();
        this.maxReferenceBytes = (int) Math.min(
                Integer.MAX_VALUE - 8, properties.maxSpeakerReferenceSize().toBytes());
        this.maxFormBytes = maxBytes + FORM_OVERHEAD + (long) MAX_SPEAKER_REFERENCES * maxReferenceBytes;
    }

    public AudioUpload read(HttpServletRequest request, String objectKey) {
        return read(request, objectKey, UnaryOperator.identity());
    }

    /**
     * Reads the form, its audio read through {@code through} on its way into the store (a sync call keeps a copy of
     * it so for its hand-off).
     */
    public AudioUpload read(HttpServletRequest request, String objectKey, UnaryOperator<InputStream> through) {
        String contentType = request.getContentType();
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            throw ApiException.invalidRequest(
                    "Unsupported Content-Type: this endpoint expects multipart/form-data with the audio in 'file'.",
                    null);
        }
        String boundary = MultipartStream.boundary(contentType)
                .orElseThrow(() -> ApiException.invalidRequest(
                        "Could not read the multipart/form-data body: its Content-Type names no boundary.", null));
        if (request.getContentLengthLong() > maxFormBytes) {
            throw ApiException.payloadTooLarge(maxBytes);
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        StoredAudio audio = null;
        String sha256 = null;
        CountingInputStream body = null;
        try {
            body = CountingInputStream.bounded(request.getInputStream(), maxFormBytes);
            MultipartStream parts = new MultipartStream(body, boundary, MAX_PART_HEADER_BYTES);
            int fieldBytes = 0;
            int values = 0;
            for (MultipartStream.Part part = parts.next(); part != null; part = parts.next()) {
                if ("file".equals(part.name()) && part.isFile()) {
                    if (audio != null) {
                        throw ApiException.invalidRequest("Expected one 'file' part, got more than one.", "file");
                    }
                    checkExtension(part.filename());
                    Stored stored = storeAudio(part, objectKey, through);
                    audio = stored.audio();
                    sha256 = stored.sha256();
                } else if (!part.isFile()) {
                    if (++values > MAX_FIELD_VALUES) {
                        throw ApiException.invalidRequest(
                                "The form has more than " + MAX_FIELD_VALUES + " text fields.", null);
                    }
                    fieldBytes += appendField(fields, part);
                    if (fieldBytes > MAX_FIELDS_BYTES) {
                        throw ApiException.invalidRequest(
                                "The form's text fields are larger than " + MAX_FIELDS_BYTES + " bytes.", null);
                    }
                }
                // a file part of another name is skipped by the next call
            }
        } catch (ApiException e) {
            deleteQuietly(objectKey);
            throw e;
        } catch (IOException e) {
            deleteQuietly(objectKey);
            if (body != null && body.overCap()) { // a body sent without its length, over what a form may be
                throw ApiException.payloadTooLarge(maxBytes);
            }
            throw ApiException.invalidRequest("Could not read the multipart/form-data body: " + e.getMessage(), null);
        }
        return new AudioUpload(fields, Optional.ofNullable(audio), sha256);
    }

    /** The stored audio and the SHA-256 of its bytes (hex), which tells identical uploads apart from others. */
    private record Stored(StoredAudio audio, String sha256) {}

    private Stored storeAudio(MultipartStream.Part item, String objectKey, UnaryOperator<InputStream> through)
            throws IOException {
        CountingInputStream counted = CountingInputStream.capped(through.apply(item.body()), maxBytes);
        try {
            store.put(objectKey, counted, -1, null); // application/octet-stream: the caller's type is not ours to keep
        } catch (BufferMemoryExhaustedException e) {
            deleteQuietly(objectKey); // a multipart upload's earlier parts are aborted with it
            throw ApiException.serverBusy();
        } catch (ObjectStoreException e) {
            deleteQuietly(objectKey);
            if (counted.overCap()) {
                throw ApiException.payloadTooLarge(maxBytes);
            }
            if (counted.readFailure() != null) {
                throw counted.readFailure();
            }
            throw e;
        }
        return new Stored(
                new StoredAudio(
                        objectKey,
                        StoredText.withoutControls(item.filename()),
                        StoredText.withoutControls(item.contentType()),
                        counted.count()),
                counted.sha256());
    }

    /**
     * Refuses a file whose name has an extension that is not an audio one ({@code .docx}, {@code .txt}), as OpenAI
     * does, whatever its content; a name without an extension passes (its content is probed later).
     */
    static void checkExtension(String filename) {
        if (filename == null) {
            return;
        }
        String name = filename.substring(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
        int dot = name.lastIndexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return;
        }
        String extension = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (!AudioFormats.EXTENSIONS.contains(extension)) {
            throw ApiException.invalidRequest(INVALID_FILE_FORMAT, "file");
        }
    }

    /**
     * Adds a text value under its field's name ({@code x[]} and {@code x} alike); returns its size and its name's in
     * bytes as counted against the form's budget (a speaker reference counts against its own allowance instead, so
     * 0).
     */
    private int appendField(Map<String, List<String>> fields, MultipartStream.Part item) throws IOException {
        String name = AudioUpload.canonical(item.name());
        List<String> values = fields.computeIfAbsent(name, n -> new ArrayList<>());
        boolean reference = SPEAKER_REFERENCES.equals(name);
        if (reference && values.size() >= MAX_SPEAKER_REFERENCES) {
            throw ApiException.invalidRequest(
                    "Invalid 'known_speaker_references': at most " + MAX_SPEAKER_REFERENCES
                            + " known speaker references can be given.",
                    "known_speaker_references[]");
        }
        int cap = reference ? maxReferenceBytes : MAX_FIELD_CHARS * 4;
        byte[] bytes = item.body().readNBytes(cap + 1);
        if (bytes.length > cap) {
            if (reference) {
                throw new ApiException(
                        HttpStatus.PAYLOAD_TOO_LARGE,
                        "invalid_request_error",
                        "request_too_large",
                        "known_speaker_references[]",
                        "A known speaker reference is larger than " + cap
                                + " bytes; send clips of 1.2 to 10 seconds, in a compact format.");
            }
            String quoted = AudioUpload.abbreviated(item.name());
            throw ApiException.invalidRequest("The form field '" + quoted + "' is too long.", quoted);
        }
        String value = new String(bytes, StandardCharsets.UTF_8);
        if (value.indexOf('\0') >= 0 || item.name().indexOf('\0') >= 0) {
            String quoted = AudioUpload.abbreviated(item.name());
            throw ApiException.invalidRequest(
                    "Invalid value for '" + quoted + "': text must not contain NUL characters (\\u0000).", quoted);
        }
        values.add(value);
        int nameBytes = item.name().getBytes(StandardCharsets.UTF_8).length; // names are kept too: they count
        return reference ? 0 : nameBytes + bytes.length;
    }

    private void deleteQuietly(String objectKey) {
        try {
            store.delete(objectKey);
        } catch (RuntimeException ignored) {
            // best effort: nothing was stored, or the store is down and the object is orphaned
        }
    }
}
