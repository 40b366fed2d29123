package dev.transcriber.common.store;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.List;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A batch's skipped entries as a JSON array of {@code {"name": ..., "reason": ...}} objects in a text column; none is
 * no value (null), never {@code []}. Rows read by their keys, whatever their order: those written before the entries
 * were a record have them in either order.
 */
@Converter
class SkippedEntriesConverter implements AttributeConverter<List<SkippedEntry>, String> {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<SkippedEntry>> ENTRIES = new TypeReference<>() {};

    @Override
    public String convertToDatabaseColumn(List<SkippedEntry> entries) {
        return entries == null || entries.isEmpty() ? null : JSON.writeValueAsString(entries);
    }

    @Override
    public List<SkippedEntry> convertToEntityAttribute(String stored) {
        return stored == null ? null : List.copyOf(JSON.readValue(stored, ENTRIES));
    }
}
