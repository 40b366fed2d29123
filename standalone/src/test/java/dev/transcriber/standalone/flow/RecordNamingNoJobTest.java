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
import java.util.ArrayList;
import java.util.List;
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
 * A lane's record that names no job (a producer's bug, a hand-written record, a format this worker does not know:
 * no id, JSON {@code null}, not JSON, empty, a tombstone) is dead-lettered at once, alone: no retry can make it name
 * one. It does not wait out a failed claim's retries first (30 s, the default this system runs with), holding up its
 * partition's later records meanwhile, nor take the rest of its poll to the dead-letter topic with it; the job behind
 * it on its partition runs, once.
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

            // records that name no job, in every shape a producer could get wrong, then the job's own, all on one
            // partition in this order (the lane's partitioner ignores keys, so the partition is named)
            @SuppressWarnings("unchecked")
            KafkaTemplate<String, String> kafka = system.api().getBean(KafkaTemplate.class);
            String topic = Lane.INTERACTIVE.topic();
            List<String> namingNoJob = new ArrayList<>(List.of("{}", "{\"jobId\":null}", "null", "not json", ""));
            namingNoJob.add(null); // a tombstone
            for (String value : namingNoJob) {
                kafka.send(topic, 0, jobId.toString(), value).get(30, TimeUnit.SECONDS);
            }
            kafka.send(topic, 0, jobId.toString(), "{\"jobId\":\"" + jobId + "\"}")
                    .get(30, TimeUnit.SECONDS);

            // well under one claim's retries (30 s): no record was tried again, and none took the job's with it
            await().atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(system.jobs()
                                    .findById(jobId.value())
                                    .orElseThrow()
                                    .state())
                            .isEqualTo(JobState.SUCCEEDED));
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(endOffset(admin, deadLetters))
                            .as("each record that names no job, and only those")
                            .isEqualTo(deadLettersBefore + namingNoJob.size()));
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
