package dev.transcriber.worker.accounts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.FileSystemResource;

/** The shipped example configuration binds to the accounts the pool uses. */
class AccountsExampleTest {

    @Test
    void exampleFileBindsToAccounts() throws Exception {
        StandardEnvironment environment = new StandardEnvironment();
        environment
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        "keys",
                        Map.of("OPENAI_MAIN_KEY", "sk-main", "GROQ_API_KEY", "gsk-groq", "AZURE_OPENAI_KEY", "az")));
        new YamlPropertySourceLoader()
                .load("example", new FileSystemResource(Path.of("..", "config", "accounts.example.yml")))
                .forEach(environment.getPropertySources()::addLast);

        AccountsProperties properties = Binder.get(environment).bindOrCreate("transcriber", AccountsProperties.class);
        List<UpstreamAccount> accounts = AccountPool.fromConfiguration(properties);

        assertThat(accounts)
                .extracting(UpstreamAccount::id)
                .containsExactly("openai-main", "groq", "azure-westeurope", "self-hosted-whisper");
        UpstreamAccount main = accounts.getFirst();
        assertThat(main.apiKey()).isEqualTo("sk-main");
        assertThat(main.weight()).isEqualTo(2);
        assertThat(main.maxConcurrency()).isEqualTo(16);
        assertThat(main.requestsPerMinute()).isEqualTo(500);
        assertThat(main.serves("gpt-4o-transcribe")).isTrue();
        UpstreamAccount groq = accounts.get(1);
        assertThat(groq.serves("gpt-4o-transcribe")).isFalse();
        assertThat(groq.upstreamModel("whisper-1", "whisper-1")).isEqualTo("whisper-large-v3");
        assertThat(groq.apiKey()).isEqualTo("gsk-groq");
        UpstreamAccount azure = accounts.get(2);
        assertThat(azure.kind()).isEqualTo(AccountsProperties.ProviderKind.AZURE);
        assertThat(azure.transcriptionsUrl("whisper-1", "whisper-1"))
                .isEqualTo("https://my-resource.openai.azure.com/openai/deployments/whisper/audio/transcriptions"
                        + "?api-version=2024-06-01");
    }
}
