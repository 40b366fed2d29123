package dev.transcriber.api.batches;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.transcriber.api.errors.OpenAiError;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * One line of a batch's results: the item's place, its job, its metadata (the batch's and the item's) and status;
 * then, for a succeeded item, its transcript in the batch's format (a string for text, srt and vtt; an object for the
 * json formats) and the job it was reused from, if any; for a failed one, its error.
 */
record BatchResult(
        Integer index,
        String job_id,
        Map<String, String> metadata,
        String status,
        @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode transcript,
        @JsonInclude(JsonInclude.Include.NON_NULL) String reused_from,
        @JsonInclude(JsonInclude.Include.NON_NULL) OpenAiError.Body error) {}
