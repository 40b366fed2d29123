package dev.transcriber.worker.accounts;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a rate-limited account may be called again, from the headers OpenAI-compatible servers send with a 429:
 * {@code retry-after-ms}, {@code Retry-After} (seconds or an HTTP date) and {@code x-ratelimit-reset-requests} /
 * {@code x-ratelimit-reset-tokens} (durations such as {@code 1s}, {@code 6m0s}, {@code 20ms}). The latest wins;
 * without any, {@link #DEFAULT_COOLDOWN}.
 */
final class RateLimitHeaders {

    static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(5);

    /**
     * The longest an upstream's answer may cool an account for: a wait of centuries (a date in 9999) would otherwise
     * reach every worker's arithmetic through the fleet's row; an operator re-enables an account sooner anyway.
     */
    static final Duration MAX_COOLDOWN = Duration.ofDays(1);

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

    private RateLimitHeaders() {}

    /** {@code header}: the first value of a header, by its name. */
    static Instant until(Function<String, Optional<String>> header, Instant now) {
        List<Duration> waits = new ArrayList<>();
        header.apply("retry-after-ms").flatMap(RateLimitHeaders::millis).ifPresent(waits::add);
        header.apply("retry-after").flatMap(v -> retryAfter(v, now)).ifPresent(waits::add);
        header.apply("x-ratelimit-reset-requests")
                .flatMap(RateLimitHeaders::goDuration)
                .ifPresent(waits::add);
        header.apply("x-ratelimit-reset-tokens")
                .flatMap(RateLimitHeaders::goDuration)
                .ifPresent(waits::add);
        Duration wait = waits.stream().max(Duration::compareTo).orElse(DEFAULT_COOLDOWN);
        return now.plus(wait.isNegative() ? Duration.ZERO : wait.compareTo(MAX_COOLDOWN) > 0 ? MAX_COOLDOWN : wait);
    }

    /**
     * {@code until}, or a day from {@code now} when it is further: a cooldown the fleet's row kept from before the cap
     * (centuries ahead) heals as it is read.
     */
    static Instant atMostACooldownAhead(Instant until, Instant now) {
        if (until == null) {
            return null;
        }
        Instant latest = now.plus(MAX_COOLDOWN);
        return until.isAfter(latest) ? latest : until;
    }

    private static Optional<Duration> millis(String value) {
        try {
            return Optional.of(Duration.ofMillis((long) Double.parseDouble(value.trim())));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Duration> retryAfter(String value, Instant now) {
        String v = value.trim();
        try {
            return Optional.of(Duration.ofMillis((long) (Double.parseDouble(v) * 1000)));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant();
                return Optional.of(Duration.between(now, at));
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /** Durations as Go prints them, which is what OpenAI's reset headers use. */
    static Optional<Duration> goDuration(String value) {
        Matcher m = DURATION_PART.matcher(value.trim());
        double millis = 0;
        int end = 0;
        while (m.find()) {
            if (m.start() != end) {
                return Optional.empty();
            }
            double n = Double.parseDouble(m.group(1));
            millis += switch (m.group(2)) {
                case "h" -> n * 3_600_000;
                case "m" -> n * 60_000;
                case "s" -> n * 1000;
                default -> n;
            };
            end = m.end();
        }
        return end > 0 && end == value.trim().length()
                ? Optional.of(Duration.ofMillis((long) millis))
                : Optional.empty();
    }
}
