package dev.transcriber.api.uploads;

/**
 * A presigned upload: the URL to PUT the audio to (with {@code method}), until {@code expires_at} (Unix seconds), and
 * the size a job checks when it takes the upload by its {@code id}.
 */
record Upload(String id, String object, String upload_url, String method, long expires_at, long max_bytes) {

    static Upload of(String id, String uploadUrl, long expiresAt, long maxBytes) {
        return new Upload(id, "transcription_upload", uploadUrl, "PUT", expiresAt, maxBytes);
    }
}
