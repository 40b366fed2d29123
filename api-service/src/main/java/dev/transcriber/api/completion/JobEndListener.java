package dev.transcriber.api.completion;

import dev.transcriber.common.events.EventCodec;
import dev.transcriber.common.events.JobFinished;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.lifecycle.EndNotice;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Every api instance hears every job's {@link EndNotice} (a PostgreSQL notification the ending transaction sent, on
 * the listener's thread) and releases the request it holds, if any, in the trace the notice carries, with the answer
 * it carries for a job that succeeded. A notice about a job this instance does not hold is passed over by its id,
 * without parsing its JSON. When the listener's connection listens again after losing it, notices sent meanwhile are
 * lost: the held jobs are looked up in the database at once, on a thread of their own ({@link CompletionPoller}).
 */
@Component
class JobEndListener {

    private static final Logger log = LoggerFactory.getLogger(JobEndListener.class);

    private final PendingCompletions pending;
    private final EventCodec codec;
    private final CompletionPoller poller;

    JobEndListener(PendingCompletions pending, EventCodec codec, CompletionPoller poller, Wakeups wakeups) {
        this.pending = pending;
        this.codec = codec;
        this.poller = poller;
        wakeups.subscribe(Channel.ENDS, this::on);
    }

    private void lookForMissed() {
        try {
            poller.releaseEnded();
        } catch (RuntimeException e) {
            log.warn("could not look for the held jobs' ends ({}); the poller looks again", e.toString());
        }
    }

    void on(String payload) {
        if (payload == null) {
            Thread.ofVirtual().name("end-notices-missed").start(this::lookForMissed);
            return;
        }
        JobId keyed = EndNotice.jobId(payload);
        if (keyed == null || !pending.holds(keyed)) {
            return;
        }
        EndNotice notice;
        try {
            notice = EndNotice.decode(payload, codec);
        } catch (RuntimeException e) {
            // the poller releases the request from the row
            log.warn("an end notice about job {} could not be read: {}", keyed, e.toString());
            return;
        }
        JobFinished finished = notice.finished();
        JobFinished.Answer answer = JobState.SUCCEEDED.name().equals(finished.state()) ? finished.answer() : null;
        pending.complete(finished.jobId(), answer, notice.traceparent());
    }
}
