package dev.transcriber.common.transcript;

import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/** Renders a {@link Transcript} the way OpenAI shapes each {@code response_format}. */
public final class TranscriptRenderer {

    private final JsonMapper json;

    public TranscriptRenderer(JsonMapper json) {
        this.json = json;
    }

    public RenderedTranscript render(Transcript transcript, ResponseFormat format) {
        return switch (format) {
            case JSON -> new RenderedTranscript(jsonBody(transcript), "application/json");
            case TEXT -> new RenderedTranscript(transcript.text() + "\n", "text/plain; charset=utf-8");
            case SRT, VTT, VERBOSE_JSON ->
                throw new IllegalArgumentException("response_format " + format.wireName() + " is not rendered yet");
        };
    }

    private String jsonBody(Transcript transcript) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", transcript.text());
        if (transcript.usage() != null) {
            body.put("usage", transcript.usage());
        }
        return json.writeValueAsString(body);
    }
}
