package dev.transcriber.common.storage;

import dev.transcriber.common.events.JobId;

/** The layout of the bucket. */
public final class ObjectKeys {

    private ObjectKeys() {}

    /** The prefix of every job's objects: {@code jobs/<job id>/...}. */
    public static final String JOBS = "jobs/";

    /** The prefix of every claimed copy of an upload: {@code uploads/claimed/<upload id>/<claimer>}. */
    public static final String CLAIMED_UPLOADS = "uploads/claimed/";

    /** The audio exactly as the caller sent it. */
    public static String sourceAudio(JobId jobId) {
        return JOBS + jobId + "/source";
    }

    /** The job whose object {@code key} is ({@code jobs/<id>/...}); null for any other key. */
    public static JobId ownerJob(String key) {
        if (!key.startsWith(JOBS)) {
            return null;
        }
        int end = key.indexOf('/', JOBS.length());
        try {
            return end < 0 ? null : JobId.parse(key.substring(JOBS.length(), end));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Where a job's speaker clips are kept: the caller's references and the clips its worker cut. */
    public static String speakers(JobId jobId) {
        return JOBS + jobId + "/speakers/";
    }

    /** A known speaker's reference clip ({@code known_speaker_references[index]}) of a job. */
    public static String speakerReference(JobId jobId, int index) {
        return speakers(jobId) + index;
    }

    /** Piece {@code index} of a long job's audio, cut by the worker. */
    public static String piece(JobId jobId, int index) {
        return JOBS + jobId + "/pieces/" + index + ".wav";
    }

    /**
     * A presigned upload once job (or batch) {@code claimer} has claimed it: a copy no presigned URL names, so the
     * caller cannot change it afterwards; one per claimer, so two requests racing for one upload never share a copy.
     */
    public static String claimedUpload(String uploadId, JobId claimer) {
        return claimedUploads(uploadId) + claimer;
    }

    /** The prefix of every claimed copy of upload {@code uploadId}. */
    public static String claimedUploads(String uploadId) {
        return CLAIMED_UPLOADS + uploadId + "/";
    }

    /** The job or batch whose claimed copy {@code key} is ({@link #claimedUpload}); null for any other key. */
    public static JobId claimer(String key) {
        if (!key.startsWith(CLAIMED_UPLOADS)) {
            return null;
        }
        int slash = key.indexOf('/', CLAIMED_UPLOADS.length());
        try {
            return slash < 0 || key.indexOf('/', slash + 1) >= 0 ? null : JobId.parse(key.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A batch's fetched feed document while it is expanded. */
    public static String batchFeed(java.util.UUID batchId) {
        return "batches/" + batchId + "/feed.xml";
    }

    /**
     * The audio of a batch's item taken out of its archive, named by the item's job: each attempt at the expansion
     * writes keys of its own, so one whose claim ran out never overwrites or removes another attempt's files.
     */
    public static String batchItem(java.util.UUID batchId, JobId itemId) {
        return batchItems(batchId) + itemId;
    }

    /** The prefix of the audio of every item of a batch taken out of its archive. */
    public static String batchItems(java.util.UUID batchId) {
        return "batches/" + batchId + "/items/";
    }

    /** A reference clip of one voice, cut from piece {@code piece} of a diarized job (clip {@code n} of that piece). */
    public static String speakerClip(JobId jobId, int piece, int n) {
        return speakers(jobId) + piece + "-" + n + ".wav";
    }
}
