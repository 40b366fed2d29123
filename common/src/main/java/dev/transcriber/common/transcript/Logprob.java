package dev.transcriber.common.transcript;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One token of the upstream's answer with its log-probability, as OpenAI sends it for {@code include[]=logprobs}:
 * {@code bytes} are the token's UTF-8 bytes. Each field is kept as given (the SDKs treat all three as optional).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Logprob(String token, Double logprob, List<Integer> bytes) {}
