package dev.transcriber.common.store;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** A job's metadata as a JSON object in a text column (queried with a cast to jsonb). */
@Converter
class MetadataConverter implements AttributeConverter<Map<String, String>, String> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public String convertToDatabaseColumn(Map<String, String> metadata) {
        return toColumn(metadata);
    }

    /** The column's text for {@code metadata}: its entries sorted by key (null for none). */
    static String toColumn(Map<String, String> metadata) {
        return metadata == null ? null : JSON.writeValueAsString(new java.util.TreeMap<>(metadata));
    }

    @Override
    public Map<String, String> convertToEntityAttribute(String stored) {
        return stored == null ? null : JSON.readValue(stored, new TypeReference<LinkedHashMap<String, String>>() {});
    }
}
