package dev.transcriber.common.transcript;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** OpenAI's {@code timestamp_granularities[]}: which timestamps {@code verbose_json} carries. */
public enum TimestampGranularity {
    WORD("word"),
    SEGMENT("segment");

    private final String wireName;

    TimestampGranularity(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<TimestampGranularity> fromWireName(String name) {
        return Arrays.stream(values()).filter(g -> g.wireName.equals(name)).findFirst();
    }

    /** As kept in a job row: comma-separated wire names; blank means OpenAI's default, {@code segment}. */
    public static Set<TimestampGranularity> parse(String stored) {
        if (stored == null || stored.isBlank()) {
            return EnumSet.of(SEGMENT);
        }
        return Arrays.stream(stored.split(","))
                .map(String::trim)
                .map(name -> fromWireName(name).orElseThrow(() -> new IllegalArgumentException(name)))
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(TimestampGranularity.class)));
    }

    public static String format(Set<TimestampGranularity> granularities) {
        return granularities.stream().map(TimestampGranularity::wireName).collect(Collectors.joining(","));
    }
}
