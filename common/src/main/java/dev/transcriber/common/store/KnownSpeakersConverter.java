package dev.transcriber.common.store;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** A job's known speakers as a JSON array in a text column: names and the object keys of their clips, in order. */
@Converter
class KnownSpeakersConverter implements AttributeConverter<List<KnownSpeaker>, String> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public String convertToDatabaseColumn(List<KnownSpeaker> speakers) {
        return toColumn(speakers);
    }

    /** The column's text for {@code speakers} (null for none). */
    static String toColumn(List<KnownSpeaker> speakers) {
        if (speakers == null || speakers.isEmpty()) {
            return null;
        }
        List<Map<String, String>> rows = new ArrayList<>();
        for (KnownSpeaker speaker : speakers) {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("name", speaker.name());
            row.put("object_key", speaker.objectKey());
            row.put("content_type", speaker.contentType());
            rows.add(row);
        }
        return JSON.writeValueAsString(rows);
    }

    @Override
    public List<KnownSpeaker> convertToEntityAttribute(String stored) {
        return read(stored);
    }

    static List<KnownSpeaker> read(String stored) {
        if (stored == null) {
            return null;
        }
        return JSON.readValue(stored, new TypeReference<List<Map<String, String>>>() {}).stream()
                .map(row -> new KnownSpeaker(row.get("name"), row.get("object_key"), row.get("content_type")))
                .toList();
    }
}
