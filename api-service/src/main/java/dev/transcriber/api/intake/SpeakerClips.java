package dev.transcriber.api.intake;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.storage.ObjectKeys;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.KnownSpeaker;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The known speakers' reference clips of a request, put in the object store next to the job's audio
 * ({@code jobs/<id>/speakers/<index>}): the job row keeps their names and keys, never the clips.
 */
public final class SpeakerClips {

    private SpeakerClips() {}

    /** {@code spec} with the clips of {@code upload} stored under {@code jobId} (as it was when there are none). */
    public static JobSpec store(ObjectStore store, JobId jobId, JobSpec spec, List<KnownSpeakers.Clip> clips) {
        if (clips.isEmpty()) {
            return spec;
        }
        List<KnownSpeaker> speakers = new ArrayList<>();
        try {
            for (int i = 0; i < clips.size(); i++) {
                KnownSpeakers.Clip clip = clips.get(i);
                String key = ObjectKeys.speakerReference(jobId, i);
                store.put(key, new ByteArrayInputStream(clip.audio()), clip.audio().length, clip.contentType());
                speakers.add(new KnownSpeaker(clip.name(), key, clip.contentType()));
            }
        } catch (RuntimeException e) {
            delete(store, speakers);
            throw e;
        }
        return spec.withKnownSpeakers(speakers);
    }

    /** Removes the clips of a request that made no job (refused, or a replay of an earlier one). */
    public static void delete(ObjectStore store, JobSpec spec) {
        delete(store, spec.knownSpeakers());
    }

    private static void delete(ObjectStore store, List<KnownSpeaker> speakers) {
        for (KnownSpeaker speaker : speakers) {
            try {
                store.delete(speaker.objectKey());
            } catch (RuntimeException ignored) {
                // best effort: an orphaned clip under the job's prefix
            }
        }
    }
}
