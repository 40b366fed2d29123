package dev.transcriber.api.transcription;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.storage.ObjectStoreException;
import dev.transcriber.common.store.StoredAudio;
import jakarta.servlet.http.HttpServletRequest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.springframework.stereotype.Component;

/**
 * Reads a {@code multipart/form-data} request as a stream: text fields into a map, the {@code file} part straight
 * into the object store, counting bytes against the size limit on the way. The audio is never held in memory
 * beyond one multipart part of the object store client.
 */
@Component
public class MultipartAudioReader {

    /** Room for the multipart framing and the text fields around the file. */
    private static final long FORM_OVERHEAD = 1024 * 1024;

    private static final int MAX_FIELD_CHARS = 64 * 1024;

    private final ObjectStore store;
    private final long maxBytes;

    MultipartAudioReader(ObjectStore store, ApiProperties properties) {
        this.store = store;
        this.maxBytes = properties.maxUploadSize().toBytes();
    }

    public AudioUpload read(HttpServletRequest request, String objectKey) {
        if (!JakartaServletFileUpload.isMultipartContent(request)) {
            throw ApiException.invalidRequest(
                    "Unsupported Content-Type: this endpoint expects multipart/form-data with the audio in 'file'.",
                    null);
        }
        if (request.getContentLengthLong() > maxBytes + FORM_OVERHEAD) {
            throw ApiException.payloadTooLarge(maxBytes);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        StoredAudio audio = null;
        String sha256 = null;
        try {
            FileItemInputIterator items = new JakartaServletFileUpload<>().getItemIterator(request);
            while (items.hasNext()) {
                FileItemInput item = items.next();
                if ("file".equals(item.getFieldName()) && !item.isFormField() && audio == null) {
                    Stored stored = storeAudio(item, objectKey);
                    audio = stored.audio();
                    sha256 = stored.sha256();
                } else if (item.isFormField()) {
                    appendField(fields, item);
                } else {
                    item.getInputStream().transferTo(OutputStream.nullOutputStream());
                }
            }
        } catch (ApiException e) {
            deleteQuietly(objectKey);
            throw e;
        } catch (IOException e) {
            deleteQuietly(objectKey);
            throw ApiException.invalidRequest("Could not read the multipart/form-data body: " + e.getMessage(), null);
        }
        return new AudioUpload(fields, Optional.ofNullable(audio), sha256);
    }

    /** The stored audio and the SHA-256 of its bytes (hex), which tells identical uploads apart from others. */
    private record Stored(StoredAudio audio, String sha256) {}

    private Stored storeAudio(FileItemInput item, String objectKey) throws IOException {
        CountingStream counted = new CountingStream(item.getInputStream(), maxBytes);
        java.security.MessageDigest sha256;
        try {
            sha256 = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try {
            store.put(objectKey, new java.security.DigestInputStream(counted, sha256), -1, item.getContentType());
        } catch (ObjectStoreException e) {
            deleteQuietly(objectKey);
            if (counted.overLimit) {
                throw ApiException.payloadTooLarge(maxBytes);
            }
            if (counted.readFailure != null) {
                throw counted.readFailure;
            }
            throw e;
        }
        return new Stored(
                new StoredAudio(objectKey, item.getName(), item.getContentType(), counted.count),
                java.util.HexFormat.of().formatHex(sha256.digest()));
    }

    private static void appendField(Map<String, String> fields, FileItemInput item) throws IOException {
        byte[] bytes = item.getInputStream().readNBytes(MAX_FIELD_CHARS * 4 + 1);
        if (bytes.length > MAX_FIELD_CHARS * 4) {
            throw ApiException.invalidRequest(
                    "The form field '" + item.getFieldName() + "' is too long.", item.getFieldName());
        }
        String name = item.getFieldName();
        String value = new String(bytes, StandardCharsets.UTF_8);
        // Repeated fields such as timestamp_granularities[] are kept comma-joined.
        fields.merge(name, value, (a, b) -> a + "," + b);
    }

    private void deleteQuietly(String objectKey) {
        try {
            store.delete(objectKey);
        } catch (RuntimeException ignored) {
            // best effort: nothing was stored, or the store is down and the object is orphaned
        }
    }

    /** Counts bytes and stops the upload once the limit is passed. */
    private static final class CountingStream extends FilterInputStream {

        private final long limit;
        private long count;
        private boolean overLimit;
        private IOException readFailure;

        CountingStream(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = guard(() -> super.read());
            if (b >= 0) {
                add(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = guard(() -> super.read(buffer, offset, length));
            if (n > 0) {
                add(n);
            }
            return n;
        }

        private int guard(IoRead read) throws IOException {
            try {
                return read.read();
            } catch (IOException e) {
                readFailure = e;
                throw e;
            }
        }

        private void add(long n) throws IOException {
            count += n;
            if (count > limit) {
                overLimit = true;
                throw new IOException("upload exceeds " + limit + " bytes");
            }
        }

        @FunctionalInterface
        private interface IoRead {
            int read() throws IOException;
        }
    }
}
