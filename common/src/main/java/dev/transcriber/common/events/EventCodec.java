package dev.transcriber.common.events;

import tools.jackson.databind.json.JsonMapper;

/** Events travel as JSON strings, so the outbox can keep them as written. */
public final class EventCodec {

    private final JsonMapper json;

    public EventCodec(JsonMapper json) {
        this.json = json;
    }

    public String write(Object event) {
        return json.writeValueAsString(event);
    }

    public <T> T read(String payload, Class<T> type) {
        return json.readValue(payload, type);
    }
}
