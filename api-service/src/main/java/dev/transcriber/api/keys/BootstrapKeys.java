package dev.transcriber.api.keys;

import dev.transcriber.api.ApiProperties;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/** Keys given by configuration ({@code transcriber.api.bootstrap-keys}, e.g. from TRANSCRIBER_API_KEY) exist. */
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
        properties.bootstrapKeys().stream()
                .filter(secret -> !secret.isBlank())
                .forEach(secret -> keys.ensure(secret.trim(), "bootstrap"));
    }
}
