package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.events.Topics;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.ConsumerGroups;
import dev.transcriber.standalone.support.TestSystem;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A job never depends on one Kafka message: its message is dead-lettered (its claim kept failing while PostgreSQL
 * was down), nothing reads the dead-letter topic, and still the job, queued in the database, is run once the
 * database is back.
 */
class DeadLetteredJobTest {

    private static final TopicPartition DEAD_LETTERS = new TopicPartition(Lane.INTERACTIVE.deadLetterTopic(), 0);

    private static TestSystem.Isolated isolated;

    @BeforeAll
    static void start() throws Exception {
        isolated = TestSystem.isolated(List.of("--transcriber.worker.queue.claim-retry-for=1s"), List.of());
    }

    @AfterAll
    static void stop() {
        isolated.close();
    }

    @Test
    void jobWhoseMessageWasDeadLetteredWhileTheDatabaseWasDownStillSucceeds() throws Exception {
        TestSystem system = isolated.system();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Not lost.\"}")));
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            long deadLettersBefore = endOffset(admin);
            JobId jobId = JobId.random();

            // The job is queued in PostgreSQL with no message anywhere; the broker is away meanwhile, so nothing
            // can send one before the database is down too.
            isolated.infra().stopKafka();
            TranscriptionJob job = system.queuedJobWithStoredAudio(jobId);
            system.api()
                    .getBean(TransactionTemplate.class)
                    .executeWithoutResult(s -> system.jobs().save(job));
            isolated.infra().stopPostgres();
            try {
                isolated.infra().startKafka();
                // The lane's consumers are back in their group: no rebalance will hand the record out again.
                await().atMost(Duration.ofSeconds(60))
                        .until(() ->
                                ConsumerGroups.stableMembers(admin, "workers").size() == 2);
                // Its message arrives while the database is down: the claim fails until the record is dead-lettered.
                @SuppressWarnings("unchecked")
                KafkaTemplate<String, String> kafka = system.api().getBean(KafkaTemplate.class);
                kafka.send(Topics.JOBS, jobId.toString(), "{\"jobId\":\"" + jobId + "\"}")
                        .get(60, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(150))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> endOffset(admin) > deadLettersBefore);
            } finally {
                isolated.infra().startPostgres();
            }

            // the pool's connections died with the database: the first reads may fail while it reconnects
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                TranscriptionJob done = system.jobs().findById(jobId.value()).orElseThrow();
                assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
                assertThat(done.attempts()).isEqualTo(1);
            });
        }
    }

    private static long endOffset(Admin admin) throws Exception {
        return admin.listOffsets(Map.of(DEAD_LETTERS, OffsetSpec.latest()))
                .partitionResult(DEAD_LETTERS)
                .get(10, TimeUnit.SECONDS)
                .offset();
    }
}
