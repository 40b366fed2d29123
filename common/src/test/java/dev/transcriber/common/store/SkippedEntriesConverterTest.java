package dev.transcriber.common.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SkippedEntriesConverterTest {

    private final SkippedEntriesConverter converter = new SkippedEntriesConverter();

    @Test
    void eachEntryIsStoredNameFirstInTheOrderTheyWereMet() {
        String stored = converter.convertToDatabaseColumn(List.of(
                new SkippedEntry("show/notes.txt", "not an audio file"),
                new SkippedEntry("Trailer \"1\"", "no audio enclosure")));

        assertThat(stored)
                .isEqualTo("[{\"name\":\"show/notes.txt\",\"reason\":\"not an audio file\"},"
                        + "{\"name\":\"Trailer \\\"1\\\"\",\"reason\":\"no audio enclosure\"}]");
    }

    @Test
    void rowsWrittenBeforeTheRecordReadWhateverTheOrderOfTheirKeys() {
        List<SkippedEntry> read =
                converter.convertToEntityAttribute("[{\"reason\":\"not an audio file\",\"name\":\"show/notes.txt\"},"
                        + "{\"name\":\"cover.jpg\",\"reason\":\"not an audio file\"}]");

        assertThat(read)
                .containsExactly(
                        new SkippedEntry("show/notes.txt", "not an audio file"),
                        new SkippedEntry("cover.jpg", "not an audio file"));
    }

    @Test
    void noEntriesAreNoValueAndNoValueReadsAsNone() {
        assertThat(converter.convertToDatabaseColumn(List.of())).isNull();
        assertThat(converter.convertToDatabaseColumn(null)).isNull();
        assertThat(converter.convertToEntityAttribute(null)).isNull();
    }
}
