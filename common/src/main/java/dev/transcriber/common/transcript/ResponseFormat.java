package dev.transcriber.common.transcript;

import java.util.Arrays;
import java.util.Optional;

/** OpenAI's {@code response_format} values. */
public enum ResponseFormat {
    JSON("json", false),
    TEXT("text", false),
    SRT("srt", true),
    VTT("vtt", true),
    VERBOSE_JSON("verbose_json", true),
    /** Segments labelled by speaker (OpenAI's {@code TranscriptionDiarized}); only for models that diarize. */
    DIARIZED_JSON("diarized_json", true);

    private final String wireName;
    private final boolean needsTimestamps;

    ResponseFormat(String wireName, boolean needsTimestamps) {
        this.wireName = wireName;
        this.needsTimestamps = needsTimestamps;
    }

    public String wireName() {
        return wireName;
    }

    /** True for formats that can only be rendered from segment timestamps. */
    public boolean needsTimestamps() {
        return needsTimestamps;
    }

    public static Optional<ResponseFormat> fromWireName(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }
}
