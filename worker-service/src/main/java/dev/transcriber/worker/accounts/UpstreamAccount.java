package dev.transcriber.worker.accounts;

import java.util.Map;

/**
 * One upstream speech-to-text account: where it is, the key to use, the public models it serves (mapped to the
 * upstream's names; empty means every model under its own name), and its share of the traffic.
 */
public record UpstreamAccount(
        String id,
        AccountsProperties.ProviderKind kind,
        String baseUrl,
        String apiKey,
        Map<String, String> models,
        double weight,
        int maxConcurrency,
        int requestsPerMinute,
        String apiVersion) {

    public UpstreamAccount {
        baseUrl = baseUrl.replaceAll("/+$", "");
        models = Map.copyOf(models);
        if (kind == AccountsProperties.ProviderKind.AZURE && models.isEmpty()) {
            throw new IllegalArgumentException(
                    "account " + id + ": an Azure account needs models: {model: deployment}");
        }
        if (weight <= 0 || maxConcurrency <= 0) {
            throw new IllegalArgumentException("account " + id + ": weight and max-concurrency must be positive");
        }
    }

    /** An account with the defaults: every model, weight 1, 8 calls at a time, no rate limit of our own. */
    public static UpstreamAccount simple(String id, String baseUrl, String apiKey) {
        return new UpstreamAccount(
                id, AccountsProperties.ProviderKind.OPENAI, baseUrl, apiKey, Map.of(), 1, 8, 0, null);
    }

    /** The offline engine in this process, serving every catalog model. */
    public static UpstreamAccount local(int maxConcurrency) {
        return new UpstreamAccount(
                "local", AccountsProperties.ProviderKind.LOCAL, "in-process", "", Map.of(), 1, maxConcurrency, 0, null);
    }

    public boolean serves(String model) {
        return models.isEmpty() || models.containsKey(model);
    }

    /** The upstream's name for a public model id; {@code usualName} when the account does not rename it. */
    public String upstreamModel(String model, String usualName) {
        return models.getOrDefault(model, usualName);
    }

    /** Where a transcription of {@code model} is posted. */
    public String transcriptionsUrl(String model, String usualName) {
        return switch (kind) {
            case OPENAI -> baseUrl + "/audio/transcriptions";
            case AZURE ->
                baseUrl + "/openai/deployments/" + upstreamModel(model, usualName)
                        + "/audio/transcriptions?api-version=" + apiVersion;
            case LOCAL -> "local:" + id;
        };
    }

    /** Where a translation of {@code model} is posted (OpenAI's and Azure's {@code /audio/translations}). */
    public String translationsUrl(String model, String usualName) {
        String transcriptions = transcriptionsUrl(model, usualName);
        return kind == AccountsProperties.ProviderKind.LOCAL
                ? transcriptions
                : transcriptions.replace("/audio/transcriptions", "/audio/translations");
    }

    @Override
    public String toString() {
        return "UpstreamAccount[" + id + " (" + kind.name().toLowerCase() + ") at " + baseUrl + "]";
    }

    /**
     * Which key this is, without the key: the first 16 hex digits of its SHA-256 (an account disabled for one key is
     * usable again with another).
     */
    public String keyFingerprint() {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((apiKey == null ? "" : apiKey).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
