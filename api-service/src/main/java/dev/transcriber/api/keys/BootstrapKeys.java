package dev.transcriber.api.keys;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.common.web.Secrets;
import dev.transcriber.common.webhooks.WebhookSignature;
import java.util.List;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Keys given by configuration ({@code transcriber.api.bootstrap-keys}, e.g. from TRANSCRIBER_API_KEY) exist, each
 * strong enough ({@link Secrets}: a placeholder or a key under 128 bits stops the api from starting); they
 * sign webhooks with {@code transcriber.api.bootstrap-webhook-secret} (TRANSCRIBER_WEBHOOK_SECRET) when it is set.
 */
@Component
class BootstrapKeys implements ApplicationRunner {

    private final ApiKeys keys;
    private final ApiProperties properties;

    BootstrapKeys(ApiKeys keys, ApiProperties properties) {
        this.keys = keys;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) {
        String webhookSecret = properties.bootstrapWebhookSecret().isBlank()
                ? null
                : properties.bootstrapWebhookSecret().trim();
        if (webhookSecret != null && !WebhookSignature.isValidSecret(webhookSecret)) {
            throw new IllegalArgumentException(
                    "transcriber.api.bootstrap-webhook-secret must be whsec_ followed by base64 of 16 or more bytes");
        }
        List<String> secrets = properties.bootstrapKeys().stream()
                .filter(secret -> !secret.isBlank())
                .map(String::trim)
                .toList();
        secrets.forEach(secret ->
                Secrets.requireStrong("A key of transcriber.api.bootstrap-keys (TRANSCRIBER_API_KEY)", secret));
        secrets.forEach(secret -> keys.ensure(secret, "bootstrap", webhookSecret));
    }
}
