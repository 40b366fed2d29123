package dev.transcriber.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.tracing.LogContext;
import dev.transcriber.common.tracing.Traces;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.micrometer.tracing.autoconfigure.MicrometerTracingAutoConfiguration;
import org.springframework.boot.micrometer.tracing.opentelemetry.autoconfigure.OpenTelemetryTracingAutoConfiguration;
import org.springframework.boot.opentelemetry.autoconfigure.OpenTelemetrySdkAutoConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The log context ({@link LogContext}) and the trace in scope reach the log lines: with {@code
 * logging.structured.format.console=ecs} (what the compose and k8s files set through {@code
 * LOGGING_STRUCTURED_FORMAT_CONSOLE}) every line is a JSON object carrying {@code job_id}, {@code key_id} and the
 * trace and span ids; the local mode's {@code logback.xml} switches to it on that setting alone. And the context is
 * the thread's own: closing it restores what was there, and a task handed to another thread takes it along only
 * through {@link Traces#inContext}.
 */
@ExtendWith(OutputCaptureExtension.class)
class StructuredLogsTest {

    private static final Logger log = LoggerFactory.getLogger(StructuredLogsTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @AfterEach
    void plainLogsAgain() {
        System.clearProperty("CONSOLE_LOG_STRUCTURED_FORMAT"); // Spring Boot left the setting for logback.xml here
        MDC.clear();
    }

    @Test
    void aJsonLineCarriesTheJobKeyAndTrace(CapturedOutput output) {
        UUID jobId = UUID.randomUUID();
        UUID keyId = UUID.randomUUID();
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(Tracing.class)
                .web(WebApplicationType.NONE)
                .run("--logging.structured.format.console=ecs", "--spring.application.name=logs-test")) {
            Traces traces = new Traces(context.getBean(Tracer.class), context.getBean(Propagator.class));
            try (LogContext job = LogContext.job(jobId);
                    LogContext key = LogContext.key(keyId);
                    Traces.Traced span =
                            traces.continueTrace("job", Span.Kind.CONSUMER, "00-" + traceId + "-00f067aa0ba902b7-01")) {
                log.info("transcribing");
            }
            log.info("done");
        }

        JsonNode line = jsonLine(output, "transcribing");
        assertThat(line.path(LogContext.JOB_ID).asString()).isEqualTo(jobId.toString());
        assertThat(line.path(LogContext.KEY_ID).asString()).isEqualTo(keyId.toString());
        assertThat(line.path("traceId").asString()).isEqualTo(traceId);
        assertThat(line.path("spanId").asString()).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7");
        JsonNode after = jsonLine(output, "done");
        assertThat(after.has(LogContext.JOB_ID)).as("cleared after the work").isFalse();
        assertThat(after.has("traceId")).isFalse();
    }

    @Test
    void closingRestoresTheOuterContextAndOtherThreadsStartWithout() throws Exception {
        try (LogContext outer = LogContext.job("outer")) {
            try (LogContext inner = LogContext.job("inner")) {
                assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("inner");
            }
            assertThat(MDC.get(LogContext.JOB_ID)).isEqualTo("outer");

            String[] seen = new String[2];
            Thread plain = Thread.ofVirtual().start(() -> seen[0] = MDC.get(LogContext.JOB_ID));
            plain.join();
            java.util.concurrent.CountDownLatch ran = new java.util.concurrent.CountDownLatch(1);
            Traces.none().inContext(task -> Thread.ofVirtual().start(task)).execute(() -> {
                seen[1] = MDC.get(LogContext.JOB_ID);
                ran.countDown();
            });
            ran.await();
            assertThat(seen[0]).as("a new virtual thread has no log context").isNull();
            assertThat(seen[1])
                    .as("a task handed over in context has the submitter's")
                    .isEqualTo("outer");
        }
        assertThat(MDC.get(LogContext.JOB_ID)).isNull();
    }

    private static JsonNode jsonLine(CapturedOutput output, String message) {
        List<JsonNode> lines = output.getOut()
                .lines()
                .filter(text -> text.startsWith("{") && text.contains(message))
                .map(JSON::readTree)
                .filter(json -> json.path("message").asString().equals(message))
                .toList();
        assertThat(lines)
                .as("JSON lines logging '%s' in:%n%s", message, output.getOut())
                .hasSize(1);
        return lines.getFirst();
    }

    /** Micrometer Tracing over OpenTelemetry as the services configure it, and nothing else. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({
        ObservationAutoConfiguration.class,
        MicrometerTracingAutoConfiguration.class,
        OpenTelemetrySdkAutoConfiguration.class,
        OpenTelemetryTracingAutoConfiguration.class
    })
    static class Tracing {}
}
