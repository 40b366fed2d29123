package dev.transcriber.common.transcript;

import java.util.Arrays;
import java.util.Optional;

/** OpenAI's {@code response_format} values. */
public enum ResponseFormat {
    JSON("json", true),
    TEXT("text", true),
    SRT("srt", false),
    VTT("vtt", false),
    VERBOSE_JSON("verbose_json", false);

    private final String wireName;
    private final boolean available;

    ResponseFormat(String wireName, boolean available) {
        this.wireName = wireName;
        this.available = available;
    }

    public String wireName() {
        return wireName;
    }

    /** False for formats this release does not render yet. */
    public boolean available() {
        return available;
    }

    public static Optional<ResponseFormat> fromWireName(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }
}
