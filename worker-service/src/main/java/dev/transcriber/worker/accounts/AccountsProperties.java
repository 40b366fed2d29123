package dev.transcriber.worker.accounts;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The upstream accounts: a list under {@code transcriber.accounts}, plus the shortcut of {@code OPENAI_API_KEY}
 * (a comma-separated list makes one account per key) and {@code OPENAI_BASE_URL} under {@code transcriber.openai}.
 *
 * @param accounts The upstream accounts, each with its id, kind, base URL, key, models, weight, concurrency and
 *     requests a minute ({@code config/accounts.example.yml} shows every field).
 * @param openai The shortcut for OpenAI-compatible accounts, added to those listed under {@code accounts}.
 * @param localEngine The offline engine (Vosk) in this process.
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

    /**
     * The shortcut: one account per key, named {@code openai-1}, {@code openai-2}, ...
     *
     * @param baseUrl The OpenAI-compatible server the shortcut's accounts call.
     * @param apiKey Upstream key; a comma-separated list makes one account per key; empty: no such account.
     */
    public record OpenAi(
            @DefaultValue("https://api.openai.com/v1") String baseUrl,
            @DefaultValue("") String apiKey) {}

    /**
     * The offline engine. With {@code whenNoAccounts} (the local mode sets it), a pool with no other account gets a
     * {@code local} account that serves every catalog model.
     *
     * @param whenNoAccounts Whether a pool with no other account gets the offline engine's {@code local} account.
     * @param maxConcurrency How many calls the offline engine runs at once in this process.
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
