package dev.transcriber.api.completion;

import dev.transcriber.api.ApiProperties;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.stereotype.Component;

/**
 * The api's shutdown, for the requests it holds. Tomcat's graceful shutdown ({@code server.shutdown=graceful}) stops
 * taking requests at once and waits for those in progress, up to {@code spring.lifecycle.timeout-per-shutdown-phase};
 * meanwhile this keeps releasing held sync requests whose jobs end (from the database: the broker's listeners stop
 * first), for at most {@code transcriber.api.drain}. Requests still held then are answered with a 503 and
 * {@code Retry-After} (sent again with the same {@code Idempotency-Key}, a request waits for the same job on another
 * instance), never cut. The drain must end inside the shutdown phase: {@link #check} says so at start.
 */
@Component
class Drain implements ApplicationListener<ContextClosedEvent> {

    private static final Logger log = LoggerFactory.getLogger(Drain.class);

    private final PendingCompletions pending;
    private final CompletionPoller poller;
    private final ApplicationContext context;
    private final Duration drain;
    private final Duration poll;

    Drain(
            PendingCompletions pending,
            CompletionPoller poller,
            ApplicationContext context,
            ApiProperties properties,
            @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration phase) {
        this.pending = pending;
        this.poller = poller;
        this.context = context;
        this.drain = properties.drain();
        this.poll = properties.completionPollInterval();
        check(drain, phase);
    }

    /** A drain that outlasts the shutdown phase would be cut by the server's stop: say so at start. */
    static void check(Duration drain, Duration phase) {
        if (drain.compareTo(phase) >= 0) {
            log.warn(
                    "transcriber.api.drain ({}) is not shorter than spring.lifecycle.timeout-per-shutdown-phase ({}):"
                            + " requests still held when the phase ends are cut instead of answered with 503",
                    drain,
                    phase);
        }
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        if (event.getApplicationContext() != context) {
            return;
        }
        log.info("shutting down: answering the {} held request(s) for at most {}", pending.size(), drain);
        Thread.ofVirtual().name("api-drain").start(this::drain);
    }

    private void drain() {
        long until = System.nanoTime() + drain.toNanos();
        try {
            while (pending.size() > 0 && System.nanoTime() < until) {
                try {
                    poller.releaseEnded(); // the scheduler has stopped; the broker's listeners too
                } catch (RuntimeException e) {
                    log.warn("drain: could not look for ended jobs: {}", e.toString());
                }
                long left = until - System.nanoTime();
                if (pending.size() > 0 && left > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(left, poll.toNanos()));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            int left = pending.closeAll();
            if (left > 0) {
                log.info("drain over after {}: {} held request(s) answered with 503", drain, left);
            }
        }
    }
}
