package dev.transcriber.common.store;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a job makes of its audio: a transcript in the audio's own language, or (OpenAI's translations) English text.
 * Both run through the same queue, lanes, accounts, cutting and merging; only the upstream endpoint differs.
 */
public enum JobTask {
    TRANSCRIBE("transcribe"),
    TRANSLATE("translate");

    private final String wireName;

    JobTask(String wireName) {
        this.wireName = wireName;
    }

    /** The name in requests, job views and the {@code task} column. */
    public String wireName() {
        return wireName;
    }

    public static Optional<JobTask> fromWireName(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    /** The stored name, {@code transcribe} for rows written before there were tasks. */
    public static JobTask ofStored(String name) {
        return name == null ? TRANSCRIBE : fromWireName(name).orElseThrow();
    }
}
