package dev.transcriber.worker.diarization;

import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The voices heard so far in a diarized job cut into pieces ({@code job_speakers}). Written in the transaction that
 * records a piece, under its job's row lock, so pieces that finish at once do not give two voices one label.
 */
@Repository
public class JobSpeakers {

    private final JdbcClient jdbc;

    JobSpeakers(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** The job's speakers in the order they were first heard. */
    public List<Speaker> of(UUID job) {
        return jdbc.sql("select label, position, first_piece, clip_key, clip_seconds, spoken_seconds from job_speakers"
                        + " where job_id = :job order by position")
                .param("job", job)
                .query((rs, row) -> new Speaker(
                        rs.getString("label"),
                        rs.getInt("position"),
                        rs.getInt("first_piece"),
                        rs.getString("clip_key"),
                        (Double) rs.getObject("clip_seconds"),
                        rs.getDouble("spoken_seconds")))
                .list();
    }

    public void add(UUID job, Speaker speaker) {
        jdbc.sql("insert into job_speakers (job_id, label, position, first_piece, clip_key, clip_seconds,"
                        + " spoken_seconds) values (:job, :label, :position, :piece, :clip, :clipSeconds, :spoken)")
                .param("job", job)
                .param("label", speaker.label())
                .param("position", speaker.position())
                .param("piece", speaker.firstPiece())
                .param("clip", speaker.clipKey())
                .param("clipSeconds", speaker.clipSeconds())
                .param("spoken", speaker.spokenSeconds())
                .update();
    }

    public void spoke(UUID job, String label, double seconds) {
        jdbc.sql(
                        "update job_speakers set spoken_seconds = spoken_seconds + :seconds where job_id = :job and label = :label")
                .param("seconds", seconds)
                .param("job", job)
                .param("label", label)
                .update();
    }

    /** Forgets the job's speakers (its cutting starts over); the object keys of their clips are returned. */
    public List<String> forget(UUID job) {
        List<String> clips = clipKeys(job);
        jdbc.sql("delete from job_speakers where job_id = :job")
                .param("job", job)
                .update();
        return clips;
    }

    public List<String> clipKeys(UUID job) {
        return jdbc.sql("select clip_key from job_speakers where job_id = :job and clip_key is not null")
                .param("job", job)
                .query(String.class)
                .list();
    }
}
