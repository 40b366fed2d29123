package dev.transcriber.common.metrics;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * {@code logback.events}: the log events written, by {@code level}, counted by an appender on the root logger. It
 * replaces Micrometer's own binder of that meter, which counts with a turbo filter: Logback runs a turbo filter on
 * every level check of every logger, {@code isDebugEnabled()} and {@code isTraceEnabled()} included, and the Kafka,
 * JDBC and HTTP clients make thousands of those per request (about 2% of the CPU of a sync request at 50
 * concurrent). An appender runs only for the events that are written, so a disabled level costs a comparison again.
 *
 * <p>Counted: every event that reaches the root logger's appenders (none of this project's loggers turns additivity
 * off). {@link #close} takes the appender off again (each service's context, two of them in the local mode, binds
 * its own); a reset of Logback's context (another application context starting in the same JVM) puts it back.
 */
public final class LogEventCounter implements MeterBinder, AutoCloseable {

    /** The meter's name and description, as Micrometer's binder has them (dashboards keep working). */
    public static final String METER = "logback.events";

    /** The auto-configuration of Micrometer's binder, which each service excludes for this one. */
    public static final String REPLACES =
            "org.springframework.boot.micrometer.metrics.autoconfigure.logging.logback.LogbackMetricsAutoConfiguration";

    private final Object logging;
    /** Both guarded by this object's lock, which bindTo and close hold. */
    private Appender appender;

    private Reattach reattach;

    /** Counts the events of the JVM's Logback context. */
    public LogEventCounter() {
        this(LoggerFactory.getILoggerFactory());
    }

    /** Counts the events of {@code logging} when it is a Logback context (tests give one of their own). */
    LogEventCounter(Object logging) {
        this.logging = logging;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (appender != null || !(logging instanceof LoggerContext context)) {
            return; // bound already (one registry per service), or another logging backend: nothing to count with
        }
        Appender counting = new Appender(Map.of(
                Level.ERROR, counter(registry, "error"),
                Level.WARN, counter(registry, "warn"),
                Level.INFO, counter(registry, "info"),
                Level.DEBUG, counter(registry, "debug"),
                Level.TRACE, counter(registry, "trace")));
        counting.setContext(context);
        counting.setName("transcriber-log-event-counter-" + System.identityHashCode(counting));
        counting.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(counting);
        appender = counting;
        reattach = new Reattach(counting);
        context.addListener(reattach);
    }

    private static Counter counter(MeterRegistry registry, String level) {
        return Counter.builder(METER)
                .tag("level", level)
                .description("Number of log events that were enabled by the effective log level")
                .baseUnit("events")
                .register(registry);
    }

    @Override
    public synchronized void close() {
        Appender counting = appender;
        appender = null;
        if (counting != null && counting.getContext() instanceof LoggerContext context) {
            context.removeListener(reattach);
            context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(counting);
            counting.stop();
        }
    }

    /**
     * Puts the appender back after Logback's context is reset: Spring Boot resets it when another application context
     * of the same JVM starts (the local mode's worker restarted, a test's second system), which stops and removes every
     * appender.
     */
    private static final class Reattach implements LoggerContextListener {

        private final Appender counting;

        Reattach(Appender counting) {
            this.counting = counting;
        }

        @Override
        public boolean isResetResistant() {
            return true;
        }

        @Override
        public void onReset(LoggerContext context) {
            counting.start();
            Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            if (!root.isAttached(counting)) {
                root.addAppender(counting);
            }
        }

        @Override
        public void onStart(LoggerContext context) {}

        @Override
        public void onStop(LoggerContext context) {}

        @Override
        public void onLevelChange(Logger logger, Level level) {}
    }

    private static final class Appender extends UnsynchronizedAppenderBase<ILoggingEvent> {

        private final Map<Level, Counter> counters;

        Appender(Map<Level, Counter> counters) {
            this.counters = counters;
        }

        @Override
        protected void append(ILoggingEvent event) {
            Counter counter = counters.get(event.getLevel());
            if (counter != null) {
                counter.increment();
            }
        }
    }
}
