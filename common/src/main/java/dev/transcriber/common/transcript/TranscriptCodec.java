package dev.transcriber.common.transcript;

import tools.jackson.databind.json.JsonMapper;

/** How a {@link Transcript} is kept in the job row. */
public final class TranscriptCodec {

    private final JsonMapper json;

    public TranscriptCodec(JsonMapper json) {
        this.json = json;
    }

    public String write(Transcript transcript) {
        return json.writeValueAsString(transcript);
    }

    public Transcript read(String stored) {
        return json.readValue(stored, Transcript.class);
    }
}
