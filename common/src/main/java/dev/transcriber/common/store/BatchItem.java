package dev.transcriber.common.store;

import java.util.Map;

/**
 * One item of a batch given as a list, as stored until the batch is expanded: the id its job will have, and its audio
 * from a URL the worker fetches, or an upload (claimed when the batch was accepted).
 */
public record BatchItem(
        String job_id, String audio_url, String object_key, Long size_bytes, Map<String, String> metadata) {}
