package dev.transcriber.common.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** A job or key id put "from here" lives as long as the request it belongs to, and never outside one. */
class LogContextTest {

    @AfterEach
    void clean() {
        MDC.clear();
    }

    @Test
    void outsideARequestTheIdsFromHereLeaveNothingOnTheThread() {
        LogContext.jobFromHere(UUID.randomUUID()); // a service called directly, e.g. by a task or a test
        LogContext.keyFromHere(UUID.randomUUID());

        assertThat(MDC.get(LogContext.JOB_ID)).isNull();
        assertThat(MDC.get(LogContext.KEY_ID)).isNull();
    }

    @Test
    void aRequestStartsWithoutOtherWorksIdsAndRestoresTheThreadsWhenItEnds() {
        UUID jobId = UUID.randomUUID();
        UUID keyId = UUID.randomUUID();
        try (LogContext outer = LogContext.job("outer")) {
            try (LogContext.Request request = LogContext.request()) {
                assertThat(MDC.get(LogContext.JOB_ID)).isNull();
                LogContext.keyFromHere(keyId);
                LogContext.jobFromHere(jobId);
                assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo(jobId.toString());
                assertThat(MDC.get(LogContext.KEY_ID)).isEqualTo(keyId.toString());
            }
            assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("outer");
            assertThat(MDC.get(LogContext.KEY_ID)).isNull();

            LogContext.jobFromHere(jobId); // the request is over
            assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("outer");
        }
        assertThat(MDC.get(LogContext.JOB_ID)).isNull();
    }
}
