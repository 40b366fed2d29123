package dev.transcriber.api.admin;

import dev.transcriber.common.events.Lane;
import dev.transcriber.common.store.JobState;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * What the fleet is doing, read from the job table: each lane's queue (through the partial indexes of queued and of
 * running jobs, as the workers' queue metrics read it), and the jobs that ended per minute over the last hour
 * (through the index of finished jobs).
 */
@Component
class FleetActivity {

    private final JdbcClient jdbc;

    FleetActivity(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Every lane, most urgent first, with zeros where nothing waits. */
    List<Overview.Lane> lanes() {
        Map<Lane, long[]> counts = new EnumMap<>(Lane.class); // queued, held, running
        Map<Lane, Double> oldest = new EnumMap<>(Lane.class);
        for (Lane lane : Lane.values()) {
            counts.put(lane, new long[3]);
        }
        jdbc.sql("""
                        select lane, case when held then 1 else 0 end, count(*),
                               extract(epoch from now() - min(queued_at))
                        from transcription_jobs where state = %s group by lane, held
                        union all
                        select lane, 2, count(*), null from transcription_jobs where state = %s group by lane""".formatted(JobState.QUEUED.sql(), JobState.RUNNING.sql()))
                .query((rs, n) -> {
                    Lane lane = Lane.valueOf(rs.getString(1));
                    int kind = rs.getInt(2);
                    counts.get(lane)[kind] += rs.getLong(3);
                    double age = rs.getDouble(4);
                    if (kind == 0 && !rs.wasNull()) {
                        oldest.put(lane, Math.max(0, Math.round(age * 1000) / 1000.0));
                    }
                    return lane;
                })
                .list();
        return counts.entrySet().stream()
                .map(e -> new Overview.Lane(
                        name(e.getKey()), e.getValue()[0], e.getValue()[1], e.getValue()[2], oldest.get(e.getKey())))
                .toList();
    }

    /** Jobs that ended in each minute of the last 60 (the current one included), by lane and outcome. */
    List<Overview.Minute> endedPerMinute() {
        return jdbc.sql("""
                        select extract(epoch from date_trunc('minute', finished_at))::bigint, lane, state, count(*)
                        from transcription_jobs
                        where parent_id is null and finished_at >= date_trunc('minute', now()) - interval '59 minutes'
                          and state in (%s)
                        group by 1, 2, 3 order by 1, 2, 3""".formatted(JobState.sql(JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)))
                .query((rs, n) -> new Overview.Minute(
                        rs.getLong(1),
                        name(Lane.valueOf(rs.getString(2))),
                        rs.getString(3).toLowerCase(Locale.ROOT),
                        rs.getLong(4)))
                .list();
    }

    private static String name(Lane lane) {
        return lane.name().toLowerCase(Locale.ROOT);
    }
}
