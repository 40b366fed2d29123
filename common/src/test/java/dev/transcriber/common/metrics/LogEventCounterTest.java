package dev.transcriber.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code logback.events} counted by an appender on a Logback context of the test's own. */
class LogEventCounterTest {

    private final LoggerContext logging = new LoggerContext();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LogEventCounter counter = new LogEventCounter(logging);
    private Logger logger;

    @BeforeEach
    void bind() {
        logging.start();
        logger = logging.getLogger("some.library");
        logger.setLevel(Level.INFO);
        counter.bindTo(registry);
    }

    @AfterEach
    void stop() {
        counter.close();
        logging.stop();
    }

    @Test
    void countsTheEventsWrittenByLevelWithoutATurboFilter() {
        logger.warn("one");
        logger.warn("two");
        logger.error("three");
        logger.debug("below the effective level");

        assertThat(count("warn")).isEqualTo(2);
        assertThat(count("error")).isEqualTo(1);
        assertThat(count("debug")).isZero();
        assertThat(logging.getTurboFilterList()).isEmpty();
    }

    @Test
    void bindingTwiceCountsOnce() {
        counter.bindTo(registry);

        logger.warn("once");

        assertThat(count("warn")).isEqualTo(1);
    }

    @Test
    void keepsCountingAfterTheContextIsResetAndStopsOnceClosed() {
        logging.reset(); // what Spring Boot does when another application context of the JVM starts
        logging.getLogger("some.library").setLevel(Level.INFO);

        logger.warn("after the reset");
        assertThat(count("warn")).isEqualTo(1);

        counter.close();
        logger.warn("after the close");
        assertThat(count("warn")).isEqualTo(1);
        assertThat(logging.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders())
                .toIterable()
                .isEmpty();
    }

    private double count(String level) {
        return registry.get(LogEventCounter.METER).tag("level", level).counter().count();
    }
}
