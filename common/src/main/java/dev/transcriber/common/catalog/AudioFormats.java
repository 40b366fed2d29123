package dev.transcriber.common.catalog;

import java.util.List;

/** The audio formats OpenAI accepts, by file name extension, and how its refusals name them. */
public final class AudioFormats {

    /** The file name extensions OpenAI accepts; a name without an extension is judged by its content. */
    public static final List<String> EXTENSIONS =
            List.of("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm");

    /** {@code Supported formats: ['flac', ...]}, as OpenAI's refusals end. */
    public static final String SUPPORTED =
            "Supported formats: " + EXTENSIONS.stream().map(e -> "'" + e + "'").toList();

    private AudioFormats() {}
}
