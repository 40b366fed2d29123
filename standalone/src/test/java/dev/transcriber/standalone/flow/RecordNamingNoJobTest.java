package dev.transcriber.standalone.flow;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.standalone.support.TestSystem;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A lane's record that names no job (a producer's bug, a hand-written record, a format this worker does not know) is
 * dead-lettered at once: no retry can make it name one. It does not wait out a failed claim's retries first (30 s, the
 * default this system runs with), which would hold up its partition's later records meanwhile; the job behind it
 * runs as usual.
 */
class RecordNamingNoJobTest {

    @Test
    void aRecordThatNamesNoJobIsDeadLetteredAtOnceAndTheJobBehindItRuns() throws Exception {
        TestSystem system = TestSystem.embedded();
        system.resetUpstream();
        system.upstream()
                .stubFor(post(urlEqualTo("/v1/audio/transcriptions")).willReturn(okJson("{\"text\":\"Behind it.\"}")));
        TopicPartition deadLetters = new TopicPartition(Lane.INTERACTIVE.deadLetterTopic(), 0);
        try (Admin admin = Admin.create(system.api().getBean(KafkaAdmin.class).getConfigurationProperties())) {
            long deadLettersBefore = endOffset(admin, deadLetters);
            JobId jobId = JobId.random();
            TranscriptionJob job = system.queuedJobWithStoredAudio(jobId);
            system.api()
                    .getBean(TransactionTemplate.class)
                    .executeWithoutResult(s -> system.jobs().save(job));

            // two records that name no job, then the job's own, under one key: one partition, in this order
            @SuppressWarnings("unchecked")
            KafkaTemplate<String, String> kafka = system.api().getBean(KafkaTemplate.class);
            String topic = Lane.INTERACTIVE.topic();
            kafka.send(topic, jobId.toString(), "{}").get(30, TimeUnit.SECONDS);
            kafka.send(topic, jobId.toString(), "{\"jobId\":null}").get(30, TimeUnit.SECONDS);
            kafka.send(topic, jobId.toString(), "{\"jobId\":\"" + jobId + "\"}").get(30, TimeUnit.SECONDS);

            // well under one claim's retries (30 s): neither record was tried again
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(system.jobs()
                                    .findById(jobId.value())
                                    .orElseThrow()
                                    .state())
                            .isEqualTo(JobState.SUCCEEDED));
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(
                            () -> assertThat(endOffset(admin, deadLetters)).isEqualTo(deadLettersBefore + 2));
            assertThat(system.jobs().findById(jobId.value()).orElseThrow().attempts())
                    .isEqualTo(1);
        }
    }

    private static long endOffset(Admin admin, TopicPartition partition) throws Exception {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest()))
                .partitionResult(partition)
                .get(10, TimeUnit.SECONDS)
                .offset();
    }
}
