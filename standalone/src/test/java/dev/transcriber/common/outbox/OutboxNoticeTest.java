package dev.transcriber.common.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.events.JobSubmitted;
import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.WorkerSlice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A notice about a change that has already committed ({@link Outbox#sendNow}) never fails its caller: the change
 * stands, and a caller that took the failure for its own would undo what it did besides (the api deletes a new job's
 * audio when recording the job fails). Its readers find what it says in the database.
 */
class OutboxNoticeTest {

    private static WorkerSlice slice;

    @BeforeAll
    static void start() {
        slice = WorkerSlice.start(OutboxNoticeTest.class);
    }

    @AfterAll
    static void stop() {
        if (slice != null) {
            slice.close();
        }
    }

    @Test
    void aNoticeIsHandedToTheProducerAtOnce() {
        JobId job = JobId.random();

        slice.bean(Outbox.class).sendNow(Lane.ASYNC.topic(), job.toString(), new JobSubmitted(job), null);

        assertThat(slice.sent(Lane.ASYNC.topic(), job)).hasSize(1);
    }

    @Test
    void aNoticeThatCannotBeWrittenIsLoggedNotThrown() {
        JobId job = JobId.random();

        assertThatCode(() ->
                        slice.bean(Outbox.class).sendNow(Lane.ASYNC.topic(), job.toString(), new Unwritable(), null))
                .doesNotThrowAnyException();
        assertThat(slice.sent(Lane.ASYNC.topic(), job)).isEmpty();
    }

    /** An event its JSON writer cannot write. */
    static final class Unwritable {

        public String getValue() {
            throw new IllegalStateException("this event cannot be written");
        }
    }
}
