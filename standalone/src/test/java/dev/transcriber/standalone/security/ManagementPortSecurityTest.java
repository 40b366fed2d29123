package dev.transcriber.standalone.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.ConsumerGroups;
import dev.transcriber.standalone.support.RawHttp;
import dev.transcriber.standalone.support.TestSystem;
import dev.transcriber.worker.WorkerApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * Both services as compose and k8s run them: health, metrics and the rest of the actuator on a management port of
 * their own ({@code MANAGEMENT_SERVER_PORT}) which no Service exposes, with the same rules as before (health public,
 * the scrape behind the metrics or the admin token, the rest behind the admin token); credentials read from a Spring
 * config tree (compose's secrets volume); the schema left to the migration job
 * ({@code TRANSCRIBER_MIGRATE_ON_START=false}); and a worker limited to one lane.
 */
class ManagementPortSecurityTest {

    private static final List<String> ACTUATOR_ROUTES =
            List.of("/actuator/metrics", "/actuator/env", "/actuator/info", "/actuator/prometheus");

    private static TestSystem system;

    @BeforeAll
    static void start() {
        system = TestSystem.embedded();
    }

    @Test
    void theApiServesTheActuatorOnItsManagementPortOnlyAndStillServesCallers() throws Exception {
        try (ConfigurableApplicationContext api = system.startAnotherApi(List.of(
                "--management.server.port=0",
                "--transcriber.schema.migrate-on-start=false",
                "--spring.config.import=optional:configtree:" + secrets() + "/",
                // as api.yml reads them: found only if the config tree was read
                "--transcriber.admin.token=${TRANSCRIBER_ADMIN_TOKEN:}",
                "--transcriber.metrics.token=${TRANSCRIBER_METRICS_TOKEN:}"))) {
            String main = "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.server.port");
            String management = "http://127.0.0.1:" + api.getEnvironment().getRequiredProperty("local.management.port");
            assertThat(management).isNotEqualTo(main);

            assertHealthOnlyOn(management, main);
            assertActuatorNeedsItsToken(management);
            assertThat(RawHttp.send(main, "GET", "/actuator/metrics", null, bearer(TestSystem.ADMIN_TOKEN))
                            .status())
                    .as("the actuator is not on the traffic port")
                    .isEqualTo(404);

            RawHttp.Response models = RawHttp.send(main, "GET", "/v1/models", null, bearer(TestSystem.API_KEY));
            assertThat(models.status()).as(models.body()).isEqualTo(200);
            assertThat(models.body()).contains("gpt-4o-transcribe");
            assertThat(RawHttp.send(management, "GET", "/v1/models", null, bearer(TestSystem.API_KEY))
                            .successful())
                    .as("callers' routes are not on the management port")
                    .isFalse();
        }
    }

    @Test
    void aWorkerServesTheActuatorOnItsManagementPortAndReadsOnlyItsLanes() throws Exception {
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            int interactiveMembers =
                    ConsumerGroups.stableMembers(admin, "workers").size();
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            !ConsumerGroups.stableMembers(admin, "workers-bulk").isEmpty());
            int bulkMembers =
                    ConsumerGroups.stableMembers(admin, "workers-bulk").size();

            try (ConfigurableApplicationContext worker = startWorker(List.of(
                    "--management.server.port=0",
                    "--transcriber.schema.migrate-on-start=false",
                    "--transcriber.worker.lanes=bulk"))) {
                String main = "http://127.0.0.1:" + worker.getEnvironment().getRequiredProperty("local.server.port");
                String management =
                        "http://127.0.0.1:" + worker.getEnvironment().getRequiredProperty("local.management.port");

                assertHealthOnlyOn(management, main);
                assertActuatorNeedsItsToken(management);
                RawHttp.Response accounts =
                        RawHttp.send(main, "GET", "/admin/accounts", null, bearer(TestSystem.ADMIN_TOKEN));
                assertThat(accounts.status()).as(accounts.body()).isEqualTo(200);
                assertThat(RawHttp.send(main, "GET", "/admin/accounts", null).status())
                        .isEqualTo(401);

                Map<String, Boolean> running =
                        worker.getBean(KafkaListenerEndpointRegistry.class).getListenerContainers().stream()
                                .collect(Collectors.toMap(
                                        ManagementPortSecurityTest::topic, MessageListenerContainer::isRunning));
                assertThat(running)
                        .containsEntry(Lane.BULK.topic(), true)
                        .containsEntry(Lane.INTERACTIVE.topic(), false)
                        .containsEntry(Lane.ASYNC.topic(), false);
                await().atMost(Duration.ofSeconds(30))
                        .untilAsserted(() -> assertThat(ConsumerGroups.stableMembers(admin, "workers-bulk"))
                                .as("the bulk lane's group has this worker too")
                                .hasSize(bulkMembers + 1));
                Set<String> interactive = ConsumerGroups.stableMembers(admin, "workers");
                assertThat(interactive)
                        .as("the interactive group has not gained it")
                        .hasSize(interactiveMembers);
            }
        }
    }

    /** Liveness and readiness, without a credential, on the management port; not on the traffic port. */
    private static void assertHealthOnlyOn(String management, String main) {
        for (String path : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            RawHttp.Response health = RawHttp.send(management, "GET", path, null);
            assertThat(health.status())
                    .as(management + path + ": " + health.body())
                    .isEqualTo(200);
            assertThat(health.body()).contains("\"UP\"");
            assertThat(RawHttp.send(main, "GET", path, null).status())
                    .as(main + path)
                    .isEqualTo(404);
        }
    }

    /**
     * Every other actuator route, however spelled, only with the admin token; the scrape with the metrics token too,
     * and nothing else with it.
     */
    private static void assertActuatorNeedsItsToken(String management) {
        for (String route : ACTUATOR_ROUTES) {
            RawHttp.Response refused = RawHttp.send(management, "GET", route, null);
            assertThat(refused.status()).as(route).isEqualTo(401);
            assertThat(refused.body()).as(route).contains("\"error\"");
            boolean scrape = route.equals("/actuator/prometheus");
            for (String target : RouteSpellingsSecurityTest.spellings(route)) {
                for (String credential : scrape
                        ? new String[] {null, TestSystem.API_KEY, "sk-not-a-key"}
                        : new String[] {null, TestSystem.API_KEY, "sk-not-a-key", TestSystem.METRICS_TOKEN}) {
                    RawHttp.Response response = credential == null
                            ? RawHttp.send(management, "GET", target, null)
                            : RawHttp.send(management, "GET", target, null, bearer(credential));
                    assertThat(response.successful())
                            .as("GET " + target + " with " + credential + " answered " + response.status() + ": "
                                    + response.body())
                            .isFalse();
                }
            }
        }
        RawHttp.Response metrics =
                RawHttp.send(management, "GET", "/actuator/metrics", null, bearer(TestSystem.ADMIN_TOKEN));
        assertThat(metrics.status()).as(metrics.body()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm.memory.used");
        RawHttp.Response scrape =
                RawHttp.send(management, "GET", "/actuator/prometheus", null, bearer(TestSystem.METRICS_TOKEN));
        assertThat(scrape.status()).as(scrape.body()).isEqualTo(200);
        assertThat(scrape.body()).contains("jvm_memory_used_bytes");
    }

    private static ConfigurableApplicationContext startWorker(List<String> settings) {
        List<String> args = new ArrayList<>(system.infraArguments());
        args.addAll(List.of(
                "--server.port=0",
                "--transcriber.admin.token=" + TestSystem.ADMIN_TOKEN,
                "--transcriber.metrics.token=" + TestSystem.METRICS_TOKEN,
                "--transcriber.openai.base-url=" + system.upstream().baseUrl() + "/v1",
                "--transcriber.openai.api-key=" + String.join(",", TestSystem.UPSTREAM_KEYS)));
        args.addAll(settings);
        return WorkerApplication.builder().registerShutdownHook(false).run(args.toArray(String[]::new));
    }

    /** A config tree, as compose's secrets volume: one file per setting, named as the environment variable. */
    private static Path secrets() throws Exception {
        Path tree = Files.createTempDirectory("secrets");
        Files.writeString(tree.resolve("TRANSCRIBER_ADMIN_TOKEN"), TestSystem.ADMIN_TOKEN);
        Files.writeString(tree.resolve("TRANSCRIBER_METRICS_TOKEN"), TestSystem.METRICS_TOKEN);
        return tree;
    }

    private static String topic(MessageListenerContainer container) {
        return String.join(",", container.getContainerProperties().getTopics());
    }

    private static String bearer(String credential) {
        return "Authorization: Bearer " + credential;
    }
}
