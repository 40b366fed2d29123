package dev.transcriber.worker.accounts;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The upstream accounts: a list under {@code transcriber.accounts}, plus the shortcut of {@code OPENAI_API_KEY}
 * (a comma-separated list makes one account per key) and {@code OPENAI_BASE_URL} under {@code transcriber.openai}.
 */
@ConfigurationProperties("transcriber")
public record AccountsProperties(
        @DefaultValue List<Account> accounts,
        @DefaultValue OpenAi openai,
        @DefaultValue LocalEngine localEngine) {

    /**
     * One account. {@code models} maps the public model ids it serves to the upstream's names for them; empty means
     * every catalog model under its usual name. {@code requestsPerMinute} 0 means no limit of our own.
     * {@code apiVersion} is Azure's {@code api-version}.
     */
    public record Account(
            String id,
            @DefaultValue("openai") ProviderKind kind,
            String baseUrl,
            String apiKey,
            @DefaultValue Map<String, String> models,
            @DefaultValue("1") double weight,
            @DefaultValue("8") int maxConcurrency,
            @DefaultValue("0") int requestsPerMinute,
            @DefaultValue("2024-06-01") String apiVersion) {}

    public record OpenAi(
            @DefaultValue("https://api.openai.com/v1") String baseUrl,
            @DefaultValue("") String apiKey) {}

    /**
     * The offline engine. With {@code whenNoAccounts} (the local mode sets it), a pool with no other account gets a
     * {@code local} account that serves every catalog model.
     */
    public record LocalEngine(
            @DefaultValue("false") boolean whenNoAccounts,
            @DefaultValue("2") int maxConcurrency) {}

    /**
     * {@code openai}: OpenAI or any server with its API ({@code POST {base}/audio/transcriptions}, bearer key).
     * {@code azure}: Azure OpenAI ({@code POST {base}/openai/deployments/{deployment}/audio/transcriptions?api-version=},
     * {@code api-key} header; {@code models} maps each public model to its deployment). {@code local}: the offline
     * engine in this process (Vosk, small US-English model).
     */
    public enum ProviderKind {
        OPENAI,
        AZURE,
        LOCAL
    }
}
