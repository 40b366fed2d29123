package dev.transcriber.worker.accounts;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Upstream accounts from the environment: {@code OPENAI_BASE_URL} and {@code OPENAI_API_KEY}, where a
 * comma-separated list of keys makes one account per key.
 */
@ConfigurationProperties("transcriber.accounts")
public record AccountsProperties(
        @DefaultValue("https://api.openai.com/v1") String openaiBaseUrl,
        @DefaultValue("") String openaiApiKey) {}
