package dev.transcriber.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.store.FailureCode;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.wakeup.Wakeups;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a job's end notice carries (a sync call's answer, when it has one short enough for a notification, and
 * nothing else) and how it travels as a notification's payload.
 */
class JobEndsNoticeTest {

    private static final String TRANSCRIPT = "{\"text\":\"Hello.\"}";
    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final EventCodec CODEC = new EventCodec(JsonMapper.builder().build());

    @Test
    void aSyncCallsJobThatSucceededCarriesItsTranscriptAndAccountAndTheTraceThatEndedIt() {
        EndedJob job = ended(Lane.INTERACTIVE, JobState.SUCCEEDED, false);

        String payload = JobEnds.payload(job, TRANSCRIPT, TRACE, CODEC);

        assertThat(EndNotice.jobId(payload)).isEqualTo(job.id());
        EndNotice notice = EndNotice.decode(payload, CODEC);
        assertThat(notice.traceparent()).isEqualTo(TRACE);
        assertThat(notice.finished().jobId()).isEqualTo(job.id());
        assertThat(notice.finished().state()).isEqualTo("SUCCEEDED");
        assertThat(notice.finished().answer()).isEqualTo(new JobFinished.Answer(TRANSCRIPT, "account-a"));
    }

    @Test
    void noOtherEndCarriesAnAnswer() {
        assertThat(answer(ended(Lane.ASYNC, JobState.SUCCEEDED, false), TRANSCRIPT))
                .as("an async job: nobody holds its request")
                .isNull();
        assertThat(answer(ended(Lane.BULK, JobState.SUCCEEDED, false), TRANSCRIPT))
                .as("a batch item")
                .isNull();
        assertThat(answer(ended(Lane.INTERACTIVE, JobState.SUCCEEDED, true), TRANSCRIPT))
                .as("a piece: its whole job answers")
                .isNull();
        assertThat(answer(ended(Lane.INTERACTIVE, JobState.FAILED, false), null))
                .as("a failure: read from the row")
                .isNull();
        assertThat(answer(ended(Lane.INTERACTIVE, JobState.CANCELLED, false), null))
                .isNull();
    }

    @Test
    void aTranscriptTooLongForANotificationIsLeftToTheRowCountedInBytes() {
        EndedJob job = ended(Lane.INTERACTIVE, JobState.SUCCEEDED, false);
        int overhead = JobEnds.payload(job, transcript(""), TRACE, CODEC).length();
        String longest = transcript("a".repeat(Wakeups.MAX_PAYLOAD_BYTES - overhead));

        String carried = JobEnds.payload(job, longest, TRACE, CODEC);
        assertThat(carried.getBytes(StandardCharsets.UTF_8)).hasSize(Wakeups.MAX_PAYLOAD_BYTES);
        assertThat(EndNotice.decode(carried, CODEC).finished().answer()).isNotNull();
        assertThat(answer(job, transcript("a".repeat(Wakeups.MAX_PAYLOAD_BYTES - overhead + 1))))
                .isNull();
        assertThat(answer(job, transcript("é".repeat((Wakeups.MAX_PAYLOAD_BYTES - overhead) / 2 + 1))))
                .as("two bytes each in UTF-8")
                .isNull();
        String left = JobEnds.payload(job, longest + " ", TRACE, CODEC);
        assertThat(EndNotice.decode(left, CODEC).finished().state()).isEqualTo("SUCCEEDED");
        assertThat(EndNotice.fits(left)).isTrue();
    }

    @Test
    void aNoticeWithoutATraceOrOtherThanANoticeReadsAsSuch() {
        EndedJob job = ended(Lane.INTERACTIVE, JobState.FAILED, false);

        String untraced = JobEnds.payload(job, null, null, CODEC);

        assertThat(untraced).startsWith(job.id() + " - {");
        assertThat(EndNotice.decode(untraced, CODEC).traceparent()).isNull();
        assertThat(EndNotice.decode(JobEnds.payload(job, null, "not one word", CODEC), CODEC)
                        .traceparent())
                .as("a trace that would break the payload's form is left out")
                .isNull();
        assertThat(EndNotice.jobId("")).isNull();
        assertThat(EndNotice.jobId("not-a-job-id-but-thirty-six-chars-xx {}")).isNull();
        assertThat(EndNotice.jobId(job.id().toString())).as("an id alone").isNull();
        String underAnotherId = JobId.random() + untraced.substring(36);
        assertThatThrownBy(() -> EndNotice.decode(underAnotherId, CODEC))
                .as("the id it is passed over by names another job than its JSON")
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static JobFinished.Answer answer(EndedJob job, String transcriptJson) {
        return EndNotice.decode(JobEnds.payload(job, transcriptJson, TRACE, CODEC), CODEC)
                .finished()
                .answer();
    }

    private static String transcript(String text) {
        return "{\"text\":\"" + text + "\"}";
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
