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
 * Records what each finished job used, in the transaction that finishes it: the audio's length, and the upstream's
 * usage as it reported it (seconds billed, or tokens by kind), per key, model and account. Totals are sums of these
 * rows, so they equal the jobs' own usage exactly.
 */
@Component
public class UsageLedger {

    private final JdbcClient jdbc;
    private final ModelCatalog catalog;

    public UsageLedger(JdbcClient jdbc, ModelCatalog catalog) {
        this.jdbc = jdbc;
        this.catalog = catalog;
    }

    public void record(EndedJob job, Transcript transcript) {
        Usage usage = transcript.usage();
        long audioTokens = 0;
        long textTokens = 0;
        if (usage != null && usage.inputTokenDetails() != null) {
            audioTokens = orZero(usage.inputTokenDetails().audioTokens());
            textTokens = orZero(usage.inputTokenDetails().textTokens());
        }
        jdbc.sql("insert into usage_ledger (job_id, api_key_id, model, upstream_account, finished_at, audio_seconds,"
                        + " billed_seconds, input_tokens, output_tokens, audio_tokens, text_tokens) values (:job, :key,"
                        + " :model, :account, :at, :audio, :billed, :input, :output, :audioTokens, :textTokens)"
                        + " on conflict (job_id) do nothing")
                .param("job", job.id().value())
                .param("key", job.apiKeyId())
                .param(
                        "model",
                        catalog.resolve(job.model()).map(CatalogModel::id).orElse(job.model()))
                .param("account", job.upstreamAccount())
                .param("at", Timestamp.from(job.finishedAt()))
                .param("audio", job.durationSeconds() == null ? 0.0 : job.durationSeconds())
                .param("billed", usage != null && usage.seconds() != null ? usage.seconds() : 0.0)
                .param("input", usage == null ? 0 : orZero(usage.inputTokens()))
                .param("output", usage == null ? 0 : orZero(usage.outputTokens()))
                .param("audioTokens", audioTokens)
                .param("textTokens", textTokens)
                .update();
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
