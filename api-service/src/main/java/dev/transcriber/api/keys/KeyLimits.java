package dev.transcriber.api.keys;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.common.store.JobState;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * The limits checked before a job is accepted, from shared state (so every instance agrees): the key's audio seconds
 * today (UTC, from the usage ledger) against {@code audio_seconds_per_day}, and its unfinished jobs against
 * {@code max_concurrent_jobs}. Over that cap a key in {@code refuse} mode gets a 429; a key in {@code queue} mode has
 * every job held, and the worker's admission scheduler releases them one by one as the key's jobs end. Batch items
 * are not refused one by one: the bulk window and the scheduler pace them.
 */
@Service
public class KeyLimits {

    /** The first key of the two-part advisory locks that serialise one key's submissions. */
    private static final int KEY_SLOTS_LOCK_SPACE = 7_301;

    private final JdbcClient jdbc;
    private final Clock clock;

    KeyLimits(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Whether an accepted job is queued at once or held for the admission scheduler. */
    public enum Admission {
        NOW,
        HELD;

        public boolean held() {
            return this == HELD;
        }
    }

    public Admission checkBeforeSubmit(Caller caller) {
        checkDailyAudio(caller);
        if (caller.maxConcurrentJobs() != null && caller.queuesOverCap()) {
            return Admission.HELD;
        }
        if (caller.maxConcurrentJobs() != null) {
            refuseOverCap(caller);
        }
        return Admission.NOW;
    }

    /** Whether a job of {@code caller} queued at once takes a slot of its key ({@link #takeSlot}: a cap that refuses). */
    public boolean takesSlot(Caller caller) {
        return caller.maxConcurrentJobs() != null && !caller.queuesOverCap();
    }

    /**
     * Inside the transaction that records a job queued at once: for a key with a cap in {@code refuse} mode, waits
     * for the key's other submissions (an advisory lock on the key, held until commit) and counts again, so
     * submissions racing each other cannot pass the cap together. The early check in {@link #checkBeforeSubmit}
     * only spares storing audio that would be refused.
     */
    public void takeSlot(Caller caller) {
        if (!takesSlot(caller)) {
            return;
        }
        jdbc.sql("select pg_advisory_xact_lock(:space, hashtext(:key))")
                .param("space", KEY_SLOTS_LOCK_SPACE)
                .param("key", caller.keyId().toString())
                .query()
                .singleRow();
        refuseOverCap(caller);
    }

    private void refuseOverCap(Caller caller) {
        int running = jdbc.sql("select count(*) from transcription_jobs where api_key_id = :key and parent_id is"
                        + " null and batch_id is null and state in (" + JobState.sqlUnfinished()
                        + ")")
                .param("key", caller.keyId())
                .query(Integer.class)
                .single();
        if (running >= caller.maxConcurrentJobs()) {
            throw new ApiException(
                    HttpStatus.TOO_MANY_REQUESTS,
                    "rate_limit_error",
                    "concurrent_jobs_exceeded",
                    null,
                    "This API key already has " + running + " unfinished jobs; its limit is "
                            + caller.maxConcurrentJobs() + ". Try again when one has finished.");
        }
    }

    /** The key's audio seconds today (UTC) against its daily allowance: 429 until midnight when used up. */
    public void checkDailyAudio(Caller caller) {
        if (caller.audioSecondsPerDay() != null) {
            Instant day = clock.instant().truncatedTo(ChronoUnit.DAYS);
            double used = jdbc.sql("select coalesce(sum(audio_seconds), 0) from usage_ledger where api_key_id = :key"
                            + " and finished_at >= :day")
                    .param("key", caller.keyId())
                    .param("day", Timestamp.from(day))
                    .query(Double.class)
                    .single();
            if (used >= caller.audioSecondsPerDay()) {
                Instant resets = day.plus(1, ChronoUnit.DAYS);
                throw new ApiException(
                                HttpStatus.TOO_MANY_REQUESTS,
                                "rate_limit_error",
                                "rate_limit_exceeded",
                                null,
                                "Rate limit exceeded. Usage resets at " + resets + ".")
                        .resetsAt(resets);
            }
        }
    }
}
