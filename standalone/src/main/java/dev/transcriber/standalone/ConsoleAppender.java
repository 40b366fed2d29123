package dev.transcriber.standalone;

import ch.qos.logback.core.PropertyDefinerBase;

/**
 * Which of Spring Boot's console appenders the local mode's {@code logback.xml} includes: human-readable lines by
 * default, one JSON object a line once {@code logging.structured.format.console} ({@code
 * LOGGING_STRUCTURED_FORMAT_CONSOLE}: {@code ecs}, {@code logstash}, {@code gelf}) is set. Spring Boot puts that
 * setting in the system property {@code CONSOLE_LOG_STRUCTURED_FORMAT} before it reloads the configuration.
 */
public final class ConsoleAppender extends PropertyDefinerBase {

    @Override
    public String getPropertyValue() {
        String format = System.getProperty("CONSOLE_LOG_STRUCTURED_FORMAT");
        return format == null || format.isBlank() ? "console-appender.xml" : "structured-console-appender.xml";
    }
}
