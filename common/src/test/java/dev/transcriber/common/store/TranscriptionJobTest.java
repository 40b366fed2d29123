package dev.transcriber.common.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TranscriptionJobTest {

    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void queuedJobIsClaimedOnceUntilItsLeaseRunsOut() {
        TranscriptionJob job = queued();

        job.claim("worker-a", NOW.plus(Duration.ofMinutes(2)), NOW);

        assertThat(job.state()).isEqualTo(JobState.RUNNING);
        assertThat(job.attempts()).isEqualTo(1);
        assertThat(job.isClaimable(NOW.plusSeconds(60))).isFalse();
        assertThat(job.isClaimable(NOW.plusSeconds(121))).isTrue();
    }

    @Test
    void expiredLeaseIsTakenOverThroughTheQueue() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(10), NOW);

        job.claim("worker-b", NOW.plusSeconds(200), NOW.plusSeconds(20));

        assertThat(job.state()).isEqualTo(JobState.RUNNING);
        assertThat(job.attempts()).isEqualTo(2);
    }

    @Test
    void eachClaimIsNumberedAndOnlyTheLatestHoldsTheJob() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(10), NOW);
        assertThat(job.isHeldBy("worker-a", 1)).isTrue();

        job.claim("worker-b", NOW.plusSeconds(200), NOW.plusSeconds(20));

        assertThat(job.claims()).isEqualTo(2);
        assertThat(job.isHeldBy("worker-a", 1)).isFalse();
        assertThat(job.isHeldBy("worker-b", 2)).isTrue();
        job.succeed("{\"text\":\"hi\"}", "openai-1", NOW.plusSeconds(30));
        assertThat(job.isHeldBy("worker-b", 2)).isFalse();
    }

    @Test
    void aJobHandedBackIsQueuedWithoutSpendingAnAttemptButItsClaimNumberStaysSpent() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(120), NOW);

        job.handBack();

        assertThat(job.state()).isEqualTo(JobState.QUEUED);
        assertThat(job.leaseOwner()).isNull();
        assertThat(job.attempts()).isZero();
        assertThat(job.isHeldBy("worker-a", 1)).isFalse();
        job.claim("worker-a", NOW.plusSeconds(240), NOW.plusSeconds(5));
        assertThat(job.claims()).isEqualTo(2);
        assertThat(job.attempts()).isEqualTo(1);
        assertThat(job.isHeldBy("worker-a", 1)).isFalse();
        assertThatThrownBy(() -> queued().handBack()).isInstanceOf(IllegalJobStateChange.class);
    }

    @Test
    void heldLeaseCannotBeTakenOver() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(120), NOW);

        assertThatThrownBy(() -> job.claim("worker-b", NOW.plusSeconds(200), NOW.plusSeconds(20)))
                .isInstanceOf(IllegalJobStateChange.class);
    }

    @Test
    void endedJobsRefuseEveryChange() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(120), NOW);
        job.succeed("{\"text\":\"hi\"}", "openai-1", NOW.plusSeconds(5));

        assertThat(job.state().isTerminal()).isTrue();
        assertThatThrownBy(() -> job.fail(FailureCode.UPSTREAM_ERROR, "late", NOW))
                .isInstanceOf(IllegalJobStateChange.class);
        assertThatThrownBy(job::requeue).isInstanceOf(IllegalJobStateChange.class);
        assertThatThrownBy(() -> job.claim("worker-b", NOW.plusSeconds(200), NOW.plusSeconds(300)))
                .isInstanceOf(IllegalJobStateChange.class);
    }

    @Test
    void queuedJobCannotSucceedWithoutBeingClaimed() {
        assertThatThrownBy(() -> queued().succeed("{}", "openai-1", NOW)).isInstanceOf(IllegalJobStateChange.class);
    }

    @Test
    void failureKeepsItsCode() {
        TranscriptionJob job = queued();
        job.claim("worker-a", NOW.plusSeconds(120), NOW);

        job.fail(FailureCode.NO_ACCOUNTS, "No upstream accounts available", NOW);

        assertThat(job.failureCode()).isEqualTo(FailureCode.NO_ACCOUNTS);
        assertThat(job.failureCode().httpStatus()).isEqualTo(503);
        assertThat(job.finishedAt()).isEqualTo(NOW);
    }

    private static TranscriptionJob queued() {
        return TranscriptionJob.queued(
                JobId.random(),
                null,
                Lane.INTERACTIVE,
                new JobSpec("gpt-4o-transcribe", "json", null, null, null),
                new StoredAudio("jobs/x/source", "a.wav", "audio/wav", 10),
                NOW);
    }
}
