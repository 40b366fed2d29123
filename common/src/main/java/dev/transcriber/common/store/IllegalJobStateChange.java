package dev.transcriber.common.store;

/** A change of state that the job's lifecycle does not allow. */
public class IllegalJobStateChange extends IllegalStateException {

    public IllegalJobStateChange(Object jobId, JobState from, JobState to) {
        super("job " + jobId + " cannot move from " + from + " to " + to);
    }
}
