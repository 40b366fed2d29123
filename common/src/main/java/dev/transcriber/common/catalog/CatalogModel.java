package dev.transcriber.common.catalog;

import java.time.Duration;
import java.util.Set;

/**
 * A model the gateway serves: its public id, the name upstream providers know it by, how it is billed, the response
 * formats its upstream can produce, the most audio one upstream call may carry (for chunking long audio), and
 * whether its upstream translates ({@code /audio/translations}: audio in any language to English text).
 * {@code givesLogprobs}: its upstream answers {@code include[]=logprobs} (OpenAI: the gpt-4o transcribe models, with
 * {@code json}). {@code diarizes}: a diarization model, whose requests take no prompt, logprobs or timestamp
 * granularities and need a {@code chunking_strategy}.
 */
public record CatalogModel(
        String id,
        String upstreamName,
        Billing billing,
        Set<String> upstreamFormats,
        Duration maxCallDuration,
        long maxCallBytes,
        boolean translates,
        boolean givesLogprobs,
        boolean diarizes) {

    public static final long MB = 1024 * 1024;

    public CatalogModel {
        upstreamFormats = Set.copyOf(upstreamFormats);
    }

    /** A model that only transcribes, gives no logprobs and does not diarize. */
    public CatalogModel(
            String id,
            String upstreamName,
            Billing billing,
            Set<String> upstreamFormats,
            Duration maxCallDuration,
            long maxCallBytes) {
        this(id, upstreamName, billing, upstreamFormats, maxCallDuration, maxCallBytes, false, false, false);
    }

    public enum Billing {
        TOKENS,
        DURATION
    }
}
