package dev.transcriber.standalone.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestSystem;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A flood of bearers that name no key cannot take the api's database connections: beyond
 * {@code transcriber.api.unknown-key-lookups} look-ups at once, a request waits {@code unknown-key-lookup-wait} and
 * gets 503 {@code server_busy} in the OpenAI shape with {@code Retry-After}, which the SDKs send again.
 */
class UnknownKeyFloodSecurityTest {

    @Test
    void aBearerBeyondTheLookUpLimitIsRefusedAsBusyAndTheHeldOneIsAnsweredOnceTheDatabaseIs() throws Exception {
        TestSystem system = TestSystem.embedded();
        ConfigurableApplicationContext api = system.startAnotherApi(
                List.of("--transcriber.api.unknown-key-lookups=1", "--transcriber.api.unknown-key-lookup-wait=300ms"));
        try {
            String base = "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.server.port");
            DataSource database = api.getBean(DataSource.class);
            CompletableFuture<RawHttp.Response> held;
            try (Connection lock = database.getConnection()) {
                // the one look-up allowed waits in the database, as under a flood of slow look-ups
                lock.setAutoCommit(false);
                try (Statement statement = lock.createStatement()) {
                    statement.execute("lock table api_keys in access exclusive mode");
                }
                held = CompletableFuture.supplyAsync(
                        () -> RawHttp.send(base, "GET", "/v1/models", null, "Authorization: Bearer " + randomKey()));
                await().atMost(Duration.ofSeconds(10)).until(() -> lookUpsWaitingOnALock(database) >= 1);

                RawHttp.Response refused =
                        RawHttp.send(base, "GET", "/v1/models", null, "Authorization: Bearer " + randomKey());

                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.header("Retry-After")).isNotBlank();
                assertThat(refused.body())
                        .contains("\"code\":\"server_busy\"")
                        .contains("\"type\":\"server_error\"")
                        .contains("unknown API keys");
                lock.rollback();
            }
            assertThat(held.get(10, TimeUnit.SECONDS).status()).isEqualTo(401);
            assertThat(RawHttp.send(base, "GET", "/v1/models", null, "Authorization: Bearer " + TestSystem.API_KEY)
                            .status())
                    .isEqualTo(200);
        } finally {
            api.close();
        }
    }

    private static int lookUpsWaitingOnALock(DataSource database) throws Exception {
        try (Connection connection = database.getConnection();
                Statement statement = connection.createStatement();
                // the key look-up alone (other queries join api_keys and wait on the lock too)
                ResultSet waiting = statement.executeQuery("select count(*) from pg_stat_activity where datname ="
                        + " current_database() and wait_event_type = 'Lock' and query ilike '%key_hash%'"
                        + " and pid <> pg_backend_pid()")) {
            waiting.next();
            return waiting.getInt(1);
        }
    }

    private static String randomKey() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return "sk-guess-" + HexFormat.of().formatHex(random);
    }
}
