package dev.transcriber.api.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.store.ApiKey;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A key shows every setting, null where there is no limit; its secrets only in the answer that creates it. */
class KeyViewTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final UUID ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

    @Test
    void aKeyShowsItsSettingsWithNullForNoLimitAndNoSecrets() {
        ApiKey key = new ApiKey(ID, "ci", "hash", "sk-abc", Instant.ofEpochSecond(100));

        assertThat(JSON.writeValueAsString(KeyView.of(key)))
                .isEqualTo("{\"id\":\"" + ID + "\",\"object\":\"api_key\",\"name\":\"ci\",\"prefix\":\"sk-abc\","
                        + "\"allowed_models\":[],\"requests_per_minute\":null,\"audio_seconds_per_day\":null,"
                        + "\"max_concurrent_jobs\":null,\"concurrent_jobs_mode\":\"refuse\",\"created_at\":100,"
                        + "\"revoked_at\":null}");
    }

    @Test
    void theCreatingAnswerAddsTheSecretsLast() {
        ApiKey key = new ApiKey(ID, "ci", "hash", "sk-abc", Instant.ofEpochSecond(100));

        assertThat(JSON.writeValueAsString(KeyView.of(key).withSecrets("sk-abcdef", "whsec_x")))
                .endsWith(
                        "\"created_at\":100,\"revoked_at\":null,\"key\":\"sk-abcdef\",\"webhook_secret\":\"whsec_x\"}");
    }
}
