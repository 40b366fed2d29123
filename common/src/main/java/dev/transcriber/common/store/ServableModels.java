package dev.transcriber.common.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;

/**
 * The models that are servable now: each worker reports the models its usable accounts serve, the api lists those
 * reported recently. Plain SQL: this is a heartbeat table, not part of the job model.
 */
public class ServableModels {

    private final JdbcClient jdbc;

    public ServableModels(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Replaces what {@code worker} reported before. {@code models} maps model id to who serves it. */
    @Transactional
    public void report(String worker, Map<String, String> models, Instant now) {
        jdbc.sql("delete from servable_models where worker_id = ?")
                .param(worker)
                .update();
        models.forEach((model, ownedBy) -> jdbc.sql(
                        "insert into servable_models (worker_id, model, owned_by, seen_at) values (?, ?, ?, ?)")
                .params(worker, model, ownedBy, java.sql.Timestamp.from(now))
                .update());
    }

    /** Models some worker reported since {@code since}, with who serves them. */
    public List<Servable> since(Instant since) {
        return jdbc.sql("select model, min(owned_by) as owned_by from servable_models where seen_at > ?"
                        + " group by model order by model")
                .param(java.sql.Timestamp.from(since))
                .query((rs, i) -> new Servable(rs.getString("model"), rs.getString("owned_by")))
                .list();
    }

    /** True when {@code model} was reported since {@code since}, and only by workers whose sole server is the offline engine. */
    public boolean onlyLocal(String model, Instant since) {
        return Boolean.TRUE.equals(
                jdbc.sql("select count(*) > 0 and bool_and(owned_by = 'local-engine') from servable_models"
                                + " where model = ? and seen_at > ?")
                        .params(model, java.sql.Timestamp.from(since))
                        .query(Boolean.class)
                        .single());
    }

    public void forget(String worker) {
        jdbc.sql("delete from servable_models where worker_id = ?")
                .param(worker)
                .update();
    }

    public record Servable(String model, String ownedBy) {}
}
