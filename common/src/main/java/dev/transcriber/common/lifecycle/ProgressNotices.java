package dev.transcriber.common.lifecycle;

import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;

/**
 * Tells the api instance streaming a long job ({@code stream=true}) that one more of its pieces is done: a PostgreSQL
 * notification on {@link Channel#PROGRESS} whose payload is the job's id, sent by the transaction that recorded the
 * piece (delivered when it commits, not at all if it rolls back). The stream reads what is settled from the database,
 * so the notice only says "look now"; the api also looks at its streams' jobs at its poll's interval, so a lost one
 * costs that interval. Only a job a request may be held for has a stream to tell ({@link JobEnds#awaited}): nobody
 * streams another async job's pieces, and a notifying commit is one PostgreSQL serialises.
 */
public class ProgressNotices {

    private final Wakeups wakeups;

    public ProgressNotices(Wakeups wakeups) {
        this.wakeups = wakeups;
    }

    /** A piece of {@code job} is done; call in the transaction that recorded it. */
    public void pieceDone(TranscriptionJob job) {
        if (JobEnds.awaited(job.lane(), job.hasIdempotencyKey(), job.isPiece())) {
            wakeups.notify(Channel.PROGRESS, job.id().toString());
        }
    }

    /** The job a progress notice's payload names; null when it names none. */
    public static JobId jobId(String payload) {
        try {
            return payload == null ? null : JobId.parse(payload);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
