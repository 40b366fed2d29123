package dev.transcriber.common.tracing;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.MDC;

/**
 * The trace a piece of work belongs to, carried as a W3C {@code traceparent} value where work crosses a process or
 * waits in a row: an outbox message and the Kafka record it becomes, a job, a webhook delivery. {@link #current} reads
 * it from the span in scope; {@link #continueTrace} starts a span that continues a stored one (a listener, a
 * delivery); {@link #outgoing} starts the span of an HTTP call and writes its {@code traceparent} into the request.
 * Without tracing ({@link #none}) every trace is null and every span a no-op.
 */
public final class Traces {

    /** The W3C header, and the column name of rows that keep it. */
    public static final String TRACEPARENT = "traceparent";

    private static final Traces NONE = new Traces(Tracer.NOOP, Propagator.NOOP);

    private final Tracer tracer;
    private final Propagator propagator;

    public Traces(Tracer tracer, Propagator propagator) {
        this.tracer = tracer;
        this.propagator = propagator;
    }

    public static Traces none() {
        return NONE;
    }

    /** A {@code traceparent} header as a message converter mapped it: raw bytes, or already a string. */
    public static String header(Object value) {
        return switch (value) {
            case byte[] bytes -> new String(bytes, StandardCharsets.US_ASCII);
            case String text -> text;
            case null, default -> null;
        };
    }

    /** The {@code traceparent} of the span in scope on this thread; null outside any span, and always without tracing. */
    public String current() {
        TraceContext context = tracer.currentTraceContext().context();
        // the no-op tracer's context is there, with empty ids
        if (context == null
                || context.traceId() == null
                || context.traceId().isEmpty()
                || context.spanId() == null
                || context.spanId().isEmpty()) {
            return null;
        }
        return "00-" + context.traceId() + "-" + context.spanId() + "-"
                + (Boolean.TRUE.equals(context.sampled()) ? "01" : "00");
    }

    /** The current span's {@code traceparent}, else {@code fallback} (a trace stored earlier, or null). */
    public String currentOr(String fallback) {
        String current = current();
        return current != null ? current : fallback;
    }

    /**
     * Starts a span named {@code name} as a child of {@code traceparent} (a new trace when it is null or unreadable)
     * and puts it in scope on this thread, so what runs here (logs, outbox rows, outgoing calls) belongs to it. Close
     * it on the same thread.
     */
    public Traced continueTrace(String name, Span.Kind kind, String traceparent) {
        Span.Builder builder = traceparent == null
                ? tracer.spanBuilder().setNoParent()
                : propagator.extract(Map.of(TRACEPARENT, traceparent), Map::get);
        Span span = builder.name(name).kind(kind).start();
        return new Traced(span, tracer.withSpan(span));
    }

    /**
     * Starts the span of an outgoing call as a child of the current one, and writes its context (the {@code
     * traceparent} header) into {@code request} with {@code setter}. It is not put in scope; close it when the call
     * ends.
     */
    public <C> Traced outgoing(String name, C request, Propagator.Setter<C> setter) {
        Span span = tracer.spanBuilder().name(name).kind(Span.Kind.CLIENT).start();
        propagator.inject(span.context(), request, setter);
        return new Traced(span, null);
    }

    /**
     * {@code executor}, whose tasks run in the span and logging context (MDC) of the code that submitted them: a task
     * handed to a new virtual thread would otherwise start with neither.
     */
    public Executor inContext(Executor executor) {
        return task -> {
            Span span = tracer.currentSpan();
            Map<String, String> logContext = MDC.getCopyOfContextMap();
            executor.execute(() -> {
                Map<String, String> before = MDC.getCopyOfContextMap();
                setContextMap(logContext);
                try (Tracer.SpanInScope scope = span == null ? null : tracer.withSpan(span)) {
                    task.run();
                } finally {
                    setContextMap(before);
                }
            });
        };
    }

    private static void setContextMap(Map<String, String> context) {
        if (context == null) {
            MDC.clear();
        } else {
            MDC.setContextMap(context);
        }
    }

    /** A span started here: {@link #close} ends it (and its scope, if it has one). */
    public static final class Traced implements AutoCloseable {

        private final Span span;
        private final Tracer.SpanInScope scope;

        Traced(Span span, Tracer.SpanInScope scope) {
            this.span = span;
            this.scope = scope;
        }

        public Traced tag(String key, String value) {
            if (value != null) {
                span.tag(key, value);
            }
            return this;
        }

        public Traced error(Throwable failure) {
            span.error(failure);
            return this;
        }

        /** This span's trace id (32 hex digits; empty for a no-op span). */
        public String traceId() {
            return span.context().traceId();
        }

        @Override
        public void close() {
            if (scope != null) {
                scope.close();
            }
            span.end();
        }
    }
}
