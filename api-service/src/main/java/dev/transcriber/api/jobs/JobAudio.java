package dev.transcriber.api.jobs;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionJob;
import java.io.InputStream;
import java.util.List;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * A job's stored audio, streamed from the object store to the response a buffer at a time (never whole in memory),
 * with its length. Its type is the one the caller or the origin gave, when that is an audio or video type; anything
 * else is served as {@code application/octet-stream}, so no caller-chosen type makes a browser render it. Gone once
 * the job is deleted or retention removed the audio (404 {@code audio_not_available}).
 */
@Service
class JobAudio {

    private final JobQueries queries;
    private final ObjectStore store;

    JobAudio(JobQueries queries, ObjectStore store) {
        this.queries = queries;
        this.store = store;
    }

    ResponseEntity<StreamingResponseBody> stream(JobId id, Scope scope) {
        TranscriptionJob job = queries.find(id, scope);
        StoredAudio audio = job.audio();
        if (job.isDeleted()) {
            throw notAvailable(id, "was deleted with its job");
        }
        long size = store.size(audio.objectKey())
                .orElseThrow(() -> notAvailable(
                        id, "is not stored (removed after the retention period, or not" + " fetched yet)"));
        return ResponseEntity.ok()
                .contentType(type(audio.contentType()))
                .contentLength(size)
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(fileName(audio.filename()))
                                .build()
                                .toString())
                .body(out -> {
                    try (InputStream in = store.open(audio.objectKey())) {
                        in.transferTo(out);
                    }
                });
    }

    private static MediaType type(String given) {
        try {
            MediaType type = given == null ? null : MediaType.parseMediaType(given);
            if (type != null
                    && !type.isWildcardSubtype()
                    && List.of("audio", "video").contains(type.getType())) {
                return new MediaType(type.getType(), type.getSubtype());
            }
        } catch (IllegalArgumentException e) {
            // not a media type: served as bytes
        }
        return MediaType.APPLICATION_OCTET_STREAM;
    }

    /** The caller's file name, reduced to characters safe in a header. */
    private static String fileName(String given) {
        String name = given == null ? "" : given.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isBlank() || name.chars().allMatch(c -> c == '.') ? "audio" : name;
    }

    private static ApiException notAvailable(JobId id, String why) {
        return new ApiException(
                HttpStatus.NOT_FOUND,
                "invalid_request_error",
                "audio_not_available",
                "id",
                "The audio of job '" + id + "' " + why + ".");
    }
}
