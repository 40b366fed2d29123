package dev.transcriber.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobState;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** What a job's end notice carries: a sync call's answer, when it has one small enough, and nothing else. */
class JobEndsNoticeTest {

    private static final String TRANSCRIPT = "{\"text\":\"Hello.\"}";

    @Test
    void aSyncCallsJobThatSucceededCarriesItsTranscriptAndAccount() {
        JobFinished notice = JobEnds.notice(ended(Lane.INTERACTIVE, JobState.SUCCEEDED, false), TRANSCRIPT);

        assertThat(notice.state()).isEqualTo("SUCCEEDED");
        assertThat(notice.answer()).isEqualTo(new JobFinished.Answer(TRANSCRIPT, "account-a"));
    }

    @Test
    void noOtherEndCarriesAnAnswer() {
        assertThat(JobEnds.notice(ended(Lane.ASYNC, JobState.SUCCEEDED, false), TRANSCRIPT)
                        .answer())
                .as("an async job: nobody holds its request")
                .isNull();
        assertThat(JobEnds.notice(ended(Lane.BULK, JobState.SUCCEEDED, false), TRANSCRIPT)
                        .answer())
                .as("a batch item")
                .isNull();
        assertThat(JobEnds.notice(ended(Lane.INTERACTIVE, JobState.SUCCEEDED, true), TRANSCRIPT)
                        .answer())
                .as("a piece: its whole job answers")
                .isNull();
        assertThat(JobEnds.notice(ended(Lane.INTERACTIVE, JobState.FAILED, false), null)
                        .answer())
                .as("a failure: read from the row")
                .isNull();
        assertThat(JobEnds.notice(ended(Lane.INTERACTIVE, JobState.CANCELLED, false), null)
                        .answer())
                .isNull();
    }

    @Test
    void aTranscriptLongerThanANoticeCarriesIsLeftToTheRow() {
        String longest = "{\"text\":\"" + "a".repeat(JobFinished.CARRIED_TRANSCRIPT_CHARS - 11) + "\"}";
        assertThat(longest).hasSize(JobFinished.CARRIED_TRANSCRIPT_CHARS);

        assertThat(JobEnds.notice(ended(Lane.INTERACTIVE, JobState.SUCCEEDED, false), longest)
                        .answer())
                .isNotNull();
        assertThat(JobEnds.notice(ended(Lane.INTERACTIVE, JobState.SUCCEEDED, false), longest + " ")
                        .answer())
                .isNull();
    }

    @Test
    void aNoticeFromASenderWithoutAnswersReadsAsOneWithNone() {
        EventCodec codec = new EventCodec(JsonMapper.builder().build());
        JobId id = new JobId(UUID.randomUUID());

        JobFinished older = codec.read("{\"jobId\":\"" + id + "\",\"state\":\"SUCCEEDED\"}", JobFinished.class);
        JobFinished written = codec.read(
                codec.write(JobEnds.notice(ended(id, Lane.INTERACTIVE, JobState.SUCCEEDED, false), TRANSCRIPT)),
                JobFinished.class);

        assertThat(older).isEqualTo(new JobFinished(id, "SUCCEEDED", null));
        assertThat(written.answer()).isEqualTo(new JobFinished.Answer(TRANSCRIPT, "account-a"));
    }

    private static EndedJob ended(Lane lane, JobState state, boolean piece) {
        return ended(new JobId(UUID.randomUUID()), lane, state, piece);
    }

    private static EndedJob ended(JobId id, Lane lane, JobState state, boolean piece) {
        return new EndedJob(
                id,
                UUID.randomUUID(),
                state,
                state == JobState.FAILED ? FailureCode.UPSTREAM_ERROR : null,
                lane,
                "whisper-1",
                3.6,
                null,
                null,
                piece,
                lane == Lane.BULK ? UUID.randomUUID() : null,
                null,
                state == JobState.SUCCEEDED ? "account-a" : null,
                Instant.now(),
                false);
    }
}
