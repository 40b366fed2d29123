package dev.transcriber.common.transcript;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/** The canonical result of a job, stored once; every response format is rendered from it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Transcript(String text, String language, Double duration, Usage usage) {}
