package dev.transcriber.worker.webhooks;

import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.store.ApiKeyRepository;
import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Doorbell;
import dev.transcriber.common.wakeup.Wakeups;
import dev.transcriber.common.webhooks.DeliveryState;
import dev.transcriber.common.webhooks.JobWebhooks;
import dev.transcriber.common.webhooks.WebhookDelivery;
import dev.transcriber.common.webhooks.WebhookDeliveryRepository;
import dev.transcriber.common.webhooks.WebhookSignature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import jakarta.annotation.PreDestroy;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends due webhook deliveries, signed per Standard Webhooks. Any number of workers run this: each takes a batch
 * of due rows (skipping rows another is taking) and reserves them for a while, so a sender that dies loses nothing
 * (its deliveries come due again). Delivered only on 2xx; redirects are not followed; 410 disables the URL; 429,
 * 502 and 504 honour {@code Retry-After}; otherwise the retry schedule decides. A 2xx also tells that the endpoint
 * is up: its other deliveries waiting for a retry are brought forward ({@link EndpointRecovery}).
 *
 * <p>Senders look for due deliveries when told that one was written ({@link Channel#WEBHOOKS}: a job or batch ended,
 * a redelivery), when the earliest delivery waiting for a retry comes due, and at the latest every
 * {@code transcriber.webhooks.poll-interval} (a notification missed, a sender gone with deliveries it had taken).
 *
 * <p>Every attempt is counted once its outcome is recorded: {@code transcriber.webhooks.attempts}, tagged
 * {@code outcome}: {@code delivered} (2xx), {@code retrying} (failed, another attempt is scheduled),
 * {@code exhausted} (failed, the schedule is spent: the event is not delivered), {@code disabled} (410: the URL is
 * disabled for its key; or failed after another delivery's 410 disabled it).
 *
 * <p>A URL that answered 410 gets nothing more: the key's deliveries waiting for it end disabled in the transaction
 * that records the 410; one under way then records its own answer, and ends disabled rather than retried if it
 * failed; and no delivery is posted to a URL already disabled for its key (one held by a sender that died, say).
 */
@Component
class WebhookSender {

    private static final Logger log = LoggerFactory.getLogger(WebhookSender.class);
    private static final Set<Integer> HONOURS_RETRY_AFTER = Set.of(429, 502, 504);
    private static final Duration SOON = Duration.ofMillis(100);

    private final JdbcClient jdbc;
    private final WebhookDeliveryRepository deliveries;
    private final ApiKeyRepository keys;
    private final JobWebhooks webhooks;
    private final RetrySchedule schedule;
    private final WebhookProperties properties;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Clock clock;
    private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
    private final WebhookPoster poster;
    private final EndpointRecovery recovery;
    private final Map<String, Counter> attempts = new LinkedHashMap<>();
    private final Traces traces;
    private final Doorbell doorbell;

    WebhookSender(
            JdbcClient jdbc,
            WebhookDeliveryRepository deliveries,
            ApiKeyRepository keys,
            JobWebhooks webhooks,
            AddressPolicy addresses,
            RetrySchedule schedule,
            WebhookProperties properties,
            TransactionTemplate transactions,
            JsonMapper json,
            Clock clock,
            MeterRegistry registry,
            Traces traces,
            Wakeups wakeups) {
        this.traces = traces;
        this.jdbc = jdbc;
        this.deliveries = deliveries;
        this.keys = keys;
        this.webhooks = webhooks;
        this.schedule = schedule;
        this.properties = properties;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
        this.poster = new WebhookPoster(addresses, properties.timeout());
        this.recovery = new EndpointRecovery(jdbc, properties.recoveryRate());
        for (String outcome : List.of("delivered", "retrying", "exhausted", "disabled")) {
            attempts.put(
                    outcome,
                    Counter.builder("transcriber.webhooks.attempts")
                            .description("Webhook delivery attempts by outcome")
                            .tag("outcome", outcome)
                            .register(registry));
        }
        this.doorbell = wakeups.doorbell("webhooks", properties.pollInterval(), this::sendDueNow, Channel.WEBHOOKS);
    }

    private void sendDueNow() {
        try {
            if (sendDue() == properties.batch()) {
                doorbell.ring(); // a full batch: more may be due
                return;
            }
            // a delivery due now but not taken is being taken by another sender: look again shortly, not in a loop
            nextDue().ifPresent(next -> doorbell.ringWithin(max(Duration.between(clock.instant(), next), SOON)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping
        }
    }

    /**
     * When the earliest delivery waiting for a retry (or brought forward) comes due, unless another sender holds it
     * (that sender records its outcome, and a sender that vanished is covered by the poll interval).
     */
    private Optional<Instant> nextDue() {
        return jdbc.sql("select next_attempt_at from webhook_deliveries where state = 'PENDING' and (sending_until"
                        + " is null or sending_until <= :now) order by next_attempt_at limit 1")
                .param("now", Timestamp.from(clock.instant()))
                .query(Timestamp.class)
                .optional()
                .map(Timestamp::toInstant);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** Takes the due deliveries (up to a batch) and attempts each; returns how many it took. */
    int sendDue() throws InterruptedException {
        Instant now = clock.instant();
        List<String> taken = transactions.execute(
                status -> jdbc.sql("update webhook_deliveries set sending_until = :until where id in (select id from"
                                + " webhook_deliveries where state = 'PENDING' and next_attempt_at <= :now and"
                                + " (sending_until is null or sending_until <= :now) order by next_attempt_at limit"
                                + " :limit for update skip locked) returning id")
                        .param("until", Timestamp.from(now.plus(properties.lease())))
                        .param("now", Timestamp.from(now))
                        .param("limit", properties.batch())
                        .query(String.class)
                        .list());
        List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
        for (String id : taken) {
            sends.add(senders.submit(() -> attempt(id)));
        }
        for (var send : sends) {
            try {
                send.get();
            } catch (java.util.concurrent.ExecutionException e) {
                log.warn("webhook attempt failed unexpectedly", e.getCause());
            }
        }
        return taken.size();
    }

    private void attempt(String id) {
        WebhookDelivery delivery = deliveries.findById(id).orElse(null);
        if (delivery == null || delivery.state() != DeliveryState.PENDING) {
            return;
        }
        if (webhooks.isDisabled(delivery.apiKeyId(), delivery.url())) {
            // the URL answered 410 to another delivery while this one was held (under way, or its sender died)
            endUnsent(delivery);
            return;
        }
        Instant started = clock.instant();
        WebhookPoster.Outcome outcome;
        // a span of the trace the delivery was written in (the job's end); the POST carries it
        try (LogContext job = LogContext.job(delivery.jobId());
                Traces.Traced span = traces.continueTrace("webhook delivery", Span.Kind.CLIENT, delivery.traceparent())
                        .tag("webhook.event", delivery.eventType())) {
            Map<String, String> headers = headers(delivery, started);
            String traceparent = traces.current();
            if (traceparent != null) {
                headers.put(Traces.TRACEPARENT, traceparent);
            }
            outcome = poster.post(delivery.url(), headers, delivery.payload());
            span.tag(
                    "http.response.status_code",
                    outcome.status() == null ? null : outcome.status().toString());
        }
        Duration retryAfter = outcome.status() != null && HONOURS_RETRY_AFTER.contains(outcome.status())
                ? retryAfter(Optional.ofNullable(outcome.retryAfter()))
                : null;
        record(id, started, outcome.status(), outcome.error(), retryAfter);
    }

    private Map<String, String> headers(WebhookDelivery delivery, Instant now) {
        long timestamp = now.getEpochSecond();
        List<String> secrets = delivery.apiKeyId() == null
                ? List.of()
                : keys.findById(delivery.apiKeyId())
                        .map(k -> k.signingSecrets(now))
                        .orElse(List.of());
        String signatures = secrets.stream()
                .map(secret -> WebhookSignature.sign(secret, delivery.id(), timestamp, delivery.payload()))
                .collect(Collectors.joining(" "));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("User-Agent", "transcriber-webhooks/1");
        headers.put("webhook-id", delivery.id());
        headers.put("webhook-timestamp", String.valueOf(timestamp));
        if (!signatures.isEmpty()) {
            headers.put("webhook-signature", signatures);
        }
        return headers;
    }

    private void record(String id, Instant started, Integer status, String error, Duration retryAfter) {
        Instant now = clock.instant();
        String outcome = transactions.execute(tx -> {
            WebhookDelivery delivery = deliveries.findById(id).orElse(null);
            if (delivery == null || delivery.state() != DeliveryState.PENDING) {
                return null;
            }
            String attemptLog = appended(delivery, started, status, error, Duration.between(started, now));
            if (error == null) {
                delivery.delivered(status, attemptLog, now);
                int woken = recovery.upAgain(delivery.id(), now);
                if (woken > 0) {
                    log.info(
                            "webhook endpoint of {} answers again: {} waiting deliveries brought forward",
                            delivery.id(),
                            woken);
                }
                return "delivered";
            } else if (status != null && status == 410) {
                delivery.disabled(attemptLog);
                webhooks.disable(delivery.apiKeyId(), delivery.url());
                disableWaiting(delivery, now);
                return "disabled";
            } else if (webhooks.isDisabled(delivery.apiKeyId(), delivery.url())) {
                // another delivery to the URL got a 410 while this one was under way: no retry
                delivery.failedOnDisabledUrl(status, error, attemptLog);
                return "disabled";
            } else {
                Optional<Instant> next = schedule.next(delivery.attempts() + 1, now, retryAfter);
                delivery.failed(status, error, attemptLog, next.orElse(null));
                return next.isPresent() ? "retrying" : "exhausted";
            }
        });
        if (outcome != null) {
            attempts.get(outcome).increment();
        }
    }

    /**
     * The key's other deliveries to a URL that answered 410 get nothing more either: those waiting end as disabled
     * without another POST (one under way records its own answer).
     */
    private void disableWaiting(WebhookDelivery gone, Instant now) {
        jdbc.sql("update webhook_deliveries set state = 'DISABLED', next_attempt_at = null, last_error = :error"
                        + " where api_key_id is not distinct from :key and url = :url and id <> :id"
                        + " and state = 'PENDING' and (sending_until is null or sending_until <= :now)")
                .param("error", "the URL answered 410 Gone to " + gone.id() + "; it is disabled")
                .param("key", gone.apiKeyId())
                .param("url", gone.url())
                .param("id", gone.id())
                .param("now", Timestamp.from(now))
                .update();
    }

    /** A delivery whose URL was disabled for its key before it was posted ends disabled, unsent. */
    private void endUnsent(WebhookDelivery delivery) {
        jdbc.sql("update webhook_deliveries set state = 'DISABLED', next_attempt_at = null, sending_until = null,"
                        + " last_error = :error where id = :id and state = 'PENDING'")
                .param("error", "the URL answered 410 Gone to another delivery; it is disabled")
                .param("id", delivery.id())
                .update();
    }

    private String appended(WebhookDelivery delivery, Instant at, Integer status, String error, Duration took) {
        List<Map<String, Object>> log = new ArrayList<>(
                json.readValue(delivery.attemptLog(), new TypeReference<List<Map<String, Object>>>() {}));
        Map<String, Object> attempt = new LinkedHashMap<>();
        attempt.put("attempt", delivery.attempts() + 1);
        attempt.put("at", at.getEpochSecond());
        attempt.put("status", status);
        attempt.put("error", error);
        attempt.put("duration_ms", took.toMillis());
        log.add(attempt);
        return json.writeValueAsString(log);
    }

    /** {@code Retry-After} in seconds or as an HTTP date; capped at a day. */
    private Duration retryAfter(Optional<String> header) {
        if (header.isEmpty()) {
            return null;
        }
        String value = header.get().trim();
        Duration after;
        try {
            after = Duration.ofSeconds(Long.parseLong(value));
        } catch (NumberFormatException e) {
            try {
                after = Duration.between(
                        clock.instant(),
                        java.time.ZonedDateTime.parse(value, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                                .toInstant());
            } catch (java.time.format.DateTimeParseException unreadable) {
                return null;
            }
        }
        Duration day = Duration.ofDays(1);
        return after.isNegative() ? Duration.ZERO : after.compareTo(day) > 0 ? day : after;
    }

    @PreDestroy
    void stop() {
        senders.shutdownNow();
    }
}
