package dev.transcriber.worker.usage;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.EndedJob;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.Usage;
import java.sql.Timestamp;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Records what each finished job used, with the change that finishes it (in its transaction, or as part of its
 * statement): the audio's length, and the upstream's
 * usage as it reported it (seconds billed, or tokens by kind), per key, model and account. Totals are sums of these
 * rows, so they equal the jobs' own usage exactly.
 */
@Component
public class UsageLedger {

    private static final String INSERT = "insert into usage_ledger (job_id, api_key_id, model, upstream_account,"
            + " finished_at, audio_seconds, billed_seconds, input_tokens, output_tokens, audio_tokens, text_tokens)";
    private static final String ON_CONFLICT = " on conflict (job_id) do nothing";

    private final JdbcClient jdbc;
    private final ModelCatalog catalog;

    public UsageLedger(JdbcClient jdbc, ModelCatalog catalog) {
        this.jdbc = jdbc;
        this.catalog = catalog;
    }

    /** Records {@code transcript}'s usage for {@code job}, which ended in the current transaction. */
    public void record(EndedJob job, Transcript transcript) {
        bind(
                        jdbc.sql(INSERT
                                        + " values (:job, :key, :usageModel, :account, :at, :audio, :billed, :input, :output,"
                                        + " :audioTokens, :textTokens)" + ON_CONFLICT)
                                .param("job", job.id().value())
                                .param("key", job.apiKeyId())
                                .param("account", job.upstreamAccount())
                                .param("at", Timestamp.from(job.finishedAt()))
                                .param("audio", job.durationSeconds() == null ? 0.0 : job.durationSeconds()),
                        entry(job.model(), transcript))
                .update();
    }

    /**
     * The usage row of a job ended by the same statement, as a part of it: {@code ended} names the statement's part
     * that ended the job, returning its {@code id, api_key_id, upstream_account, finished_at, duration_seconds}; the
     * rest of the row comes from {@link #bind}. One statement instead of two keeps a job's end to one round trip.
     */
    public static String insertFrom(String ended) {
        return INSERT + " select id, api_key_id, :usageModel, upstream_account, finished_at,"
                + " coalesce(duration_seconds, 0), :billed, :input, :output, :audioTokens, :textTokens from " + ended
                + ON_CONFLICT;
    }

    /** Binds {@code entry} to a statement with {@link #insertFrom} in it. */
    public static JdbcClient.StatementSpec bind(JdbcClient.StatementSpec statement, Entry entry) {
        return statement
                .param("usageModel", entry.model())
                .param("billed", entry.billedSeconds())
                .param("input", entry.inputTokens())
                .param("output", entry.outputTokens())
                .param("audioTokens", entry.audioTokens())
                .param("textTokens", entry.textTokens());
    }

    /** What a usage row holds besides what its job row gives, for a job of {@code model} that heard {@code transcript}. */
    public Entry entry(String model, Transcript transcript) {
        Usage usage = transcript.usage();
        long audioTokens = 0;
        long textTokens = 0;
        if (usage != null && usage.inputTokenDetails() != null) {
            audioTokens = orZero(usage.inputTokenDetails().audioTokens());
            textTokens = orZero(usage.inputTokenDetails().textTokens());
        }
        return new Entry(
                catalog.resolve(model).map(CatalogModel::id).orElse(model),
                usage != null && usage.seconds() != null ? usage.seconds() : 0.0,
                usage == null ? 0 : orZero(usage.inputTokens()),
                usage == null ? 0 : orZero(usage.outputTokens()),
                audioTokens,
                textTokens);
    }

    /**
     * A usage row's own values: the model's catalog id, and the upstream's usage as it reported it.
     *
     * @param model the catalog id of the model the caller asked for (the name it used when the catalog knows none)
     */
    public record Entry(
            String model,
            double billedSeconds,
            long inputTokens,
            long outputTokens,
            long audioTokens,
            long textTokens) {}

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
