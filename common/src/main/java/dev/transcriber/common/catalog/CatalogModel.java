package dev.transcriber.common.catalog;

import java.time.Duration;
import java.util.Set;

/**
 * A model the gateway serves: its public id, the name upstream providers know it by, how it is billed, the response
 * formats its upstream can produce, the most audio one upstream call may carry (for chunking long audio), and whether
 * it labels speakers ({@code diarizes}: its upstream answers {@code diarized_json}).
 */
public record CatalogModel(
        String id,
        String upstreamName,
        Billing billing,
        Set<String> upstreamFormats,
        Duration maxCallDuration,
        long maxCallBytes,
        boolean diarizes) {

    public static final long MB = 1024 * 1024;

    public CatalogModel {
        upstreamFormats = Set.copyOf(upstreamFormats);
    }

    /** A model that does not label speakers. */
    public CatalogModel(
            String id,
            String upstreamName,
            Billing billing,
            Set<String> upstreamFormats,
            Duration maxCallDuration,
            long maxCallBytes) {
        this(id, upstreamName, billing, upstreamFormats, maxCallDuration, maxCallBytes, false);
    }

    public enum Billing {
        TOKENS,
        DURATION
    }
}
