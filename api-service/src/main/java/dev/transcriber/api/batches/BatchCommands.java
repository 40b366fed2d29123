package dev.transcriber.api.batches;

import dev.transcriber.api.ApiProperties;
import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.intake.CommitInDoubt;
import dev.transcriber.api.intake.OutcomeUnknown;
import dev.transcriber.api.jobs.JobFields;
import dev.transcriber.api.keys.Caller;
import dev.transcriber.api.keys.KeyLimits;
import dev.transcriber.api.keys.Scope;
import dev.transcriber.api.models.EngineSupport;
import dev.transcriber.api.uploads.Uploads;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.lifecycle.BatchEnds;
import dev.transcriber.common.lifecycle.JobEnds;
import dev.transcriber.common.net.AddressPolicy;
import dev.transcriber.common.store.BatchItem;
import dev.transcriber.common.store.BatchRepository;
import dev.transcriber.common.store.BatchSource;
import dev.transcriber.common.store.BatchState;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobSpec;
import dev.transcriber.common.store.StoredAudio;
import dev.transcriber.common.store.TranscriptionBatch;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.wakeup.Channel;
import dev.transcriber.common.wakeup.Wakeups;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.domain.Limit;
import org.springframework.http.HttpStatus;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Accepting a batch (validated and recorded at once, expanded into items by a worker in the background) and
 * cancelling one (queued items are cancelled, running ones finish).
 */
@Service
class BatchCommands {

    private final BatchRepository batches;
    private final JobRepository jobs;
    private final BatchQueries queries;
    private final Uploads uploads;
    private final KeyLimits limits;
    private final ModelCatalog catalog;
    private final AddressPolicy addresses;
    private final JobEnds jobEnds;
    private final BatchEnds batchEnds;
    private final TransactionTemplate transactions;
    private final JsonMapper json;
    private final Clock clock;
    private final Wakeups wakeups;
    private final EngineSupport engines;
    private final int maxItems;
    private final int maxHosts;
    private final int maxPromptLength;
    private final CommitInDoubt commitInDoubt;

    BatchCommands(
            BatchRepository batches,
            JobRepository jobs,
            BatchQueries queries,
            Uploads uploads,
            KeyLimits limits,
            ModelCatalog catalog,
            AddressPolicy addresses,
            JobEnds jobEnds,
            BatchEnds batchEnds,
            TransactionTemplate transactions,
            JsonMapper json,
            Clock clock,
            Wakeups wakeups,
            @Value("${transcriber.batches.max-items:10000}") int maxItems,
            @Value("${transcriber.batches.max-hosts:100}") int maxHosts,
            ApiProperties properties,
            EngineSupport engines,
            CommitInDoubt commitInDoubt) {
        this.commitInDoubt = commitInDoubt;
        this.engines = engines;
        this.wakeups = wakeups;
        this.maxPromptLength = properties.maxPromptLength();
        this.batches = batches;
        this.jobs = jobs;
        this.queries = queries;
        this.uploads = uploads;
        this.limits = limits;
        this.catalog = catalog;
        this.addresses = addresses;
        this.jobEnds = jobEnds;
        this.batchEnds = batchEnds;
        this.transactions = transactions;
        this.json = json;
        this.clock = clock;
        this.maxItems = maxItems;
        this.maxHosts = maxHosts;
    }

    BatchView submit(Caller caller, BatchRequest request) {
        limits.checkDailyAudio(caller);
        int sources = (request.items() == null ? 0 : 1)
                + (request.feed_url() == null ? 0 : 1)
                + (request.archive_upload_id() == null ? 0 : 1);
        if (sources != 1) {
            throw ApiException.invalidRequest(
                    "Give the batch's items as exactly one of 'items', 'feed_url' or 'archive_upload_id'.",
                    sources == 0 ? "items" : null);
        }
        JobSpec spec = JobFields.spec(request, catalog, maxPromptLength);
        caller.checkModel(spec.model(), catalog);
        engines.check(spec);
        Map<String, String> metadata = JobFields.metadata(request.metadata());
        String webhookUrl = JobFields.webhookUrl(request.webhook_url(), addresses);
        if (request.items() != null) {
            checkItems(request.items());
        }
        if (request.feed_url() != null) {
            ItemHosts.one(addresses).check(request.feed_url(), "feed_url");
        }
        UUID id = UUID.randomUUID();
        // The uploads' object-store work (checks and copies) before the transaction: no row lock waits on S3.
        Map<Integer, Uploads.Claim> claims = new HashMap<>();
        Uploads.Claim archive;
        List<JobId> itemIds;
        try {
            archive = request.archive_upload_id() == null
                    ? null
                    : uploads.prepare(request.archive_upload_id(), caller, new JobId(id), "archive_upload_id");
            if (archive != null) {
                claims.put(-1, archive);
            }
            itemIds = request.items() == null ? List.of() : prepareItems(request.items(), caller, claims);
        } catch (RuntimeException e) { // nothing written yet
            uploads.abandon(claims.values());
            throw e;
        }
        TranscriptionBatch batch;
        try {
            batch = commitInDoubt.inTransaction(
                    "batch " + id,
                    () -> {
                        BatchSource kind;
                        String source;
                        if (request.items() != null) {
                            kind = BatchSource.ITEMS;
                            source = json.writeValueAsString(items(request.items(), itemIds, claims));
                        } else if (request.feed_url() != null) {
                            kind = BatchSource.FEED;
                            source = request.feed_url();
                        } else {
                            kind = BatchSource.ARCHIVE;
                            source = archive.take().objectKey();
                        }
                        wakeups.notify(Channel.BATCHES); // a worker expands it as soon as this commits
                        return batches.save(TranscriptionBatch.expanding(
                                id,
                                caller.keyId(),
                                kind,
                                source,
                                json.writeValueAsString(spec),
                                metadata,
                                webhookUrl,
                                Boolean.TRUE.equals(request.job_webhooks()),
                                !Boolean.FALSE.equals(request.reuse()),
                                clock.instant()));
                    },
                    () -> batches.findById(id).map(recorded -> {
                        claims.values().forEach(Uploads.Claim::settled); // read back: its commit removed no original
                        return recorded;
                    }));
        } catch (OutcomeUnknown unknown) {
            throw unknown; // the batch may exist: its uploads' copies stay (a stray's are removed later)
        } catch (RuntimeException e) {
            uploads.abandon(claims.values());
            throw e;
        }
        return queries.view(batch, Scope.of(caller));
    }

    private void checkItems(List<BatchRequest.Item> items) {
        if (items.isEmpty() || items.size() > maxItems) {
            throw ApiException.invalidRequest(
                    "'items' must hold 1 to " + maxItems + " items, got " + items.size() + ".", "items");
        }
        ItemHosts hosts = ItemHosts.of(items, maxHosts, addresses);
        for (int i = 0; i < items.size(); i++) {
            BatchRequest.Item item = items.get(i);
            String param = "items[" + i + "]";
            if (item == null || (item.audio_url() == null) == (item.upload_id() == null)) {
                throw ApiException.invalidRequest(
                        "Each item needs exactly one of 'audio_url' or 'upload_id' (" + param + ").", param);
            }
            if (item.audio_url() != null) {
                hosts.check(item.audio_url(), param + ".audio_url");
            }
            JobFields.metadata(item.metadata());
        }
    }

    /** Each item's job id; the uploads among them prepared for their claim (into {@code claims}, by index). */
    private List<JobId> prepareItems(
            List<BatchRequest.Item> requested, Caller caller, Map<Integer, Uploads.Claim> claims) {
        List<JobId> ids = new ArrayList<>(requested.size());
        for (int i = 0; i < requested.size(); i++) {
            BatchRequest.Item item = requested.get(i);
            JobId jobId = JobId.random();
            ids.add(jobId);
            if (item.upload_id() != null) {
                claims.put(i, uploads.prepare(item.upload_id(), caller, jobId, "items[" + i + "].upload_id"));
            }
        }
        return ids;
    }

    /** The items as stored until expansion, each with its job's id; uploads are taken now, in this transaction. */
    private List<BatchItem> items(
            List<BatchRequest.Item> requested, List<JobId> ids, Map<Integer, Uploads.Claim> claims) {
        List<BatchItem> items = new ArrayList<>(requested.size());
        for (int i = 0; i < requested.size(); i++) {
            BatchRequest.Item item = requested.get(i);
            JobId jobId = ids.get(i);
            if (item.audio_url() != null) {
                items.add(new BatchItem(jobId.toString(), item.audio_url(), null, null, item.metadata()));
            } else {
                StoredAudio audio = claims.get(i).take();
                items.add(new BatchItem(jobId.toString(), null, audio.objectKey(), audio.sizeBytes(), item.metadata()));
            }
        }
        return items;
    }

    /**
     * Cancels the batch's queued items (held or on the queue); items already running finish, and the batch is
     * {@code cancelling} until they have. Retried when a worker claims an item at the same moment.
     */
    BatchView cancel(UUID id, Scope scope) {
        for (int attempt = 1; ; attempt++) {
            try {
                return transactions.execute(status -> cancelOnce(id, scope));
            } catch (ObjectOptimisticLockingFailureException e) {
                if (attempt == 10) { // a busy bulk lane (claims, the queue sweeper's re-sends) keeps items moving
                    throw e;
                }
            }
        }
    }

    private BatchView cancelOnce(UUID id, Scope scope) {
        TranscriptionBatch batch = queries.findForUpdate(id, scope);
        if (batch.state() == BatchState.COMPLETED || batch.state() == BatchState.FAILED) {
            throw new ApiException(
                    HttpStatus.CONFLICT,
                    "invalid_request_error",
                    "invalid_state",
                    null,
                    "The batch has already " + batch.state().name().toLowerCase() + "; it cannot be cancelled.");
        }
        if (batch.state() == BatchState.CANCELLED || batch.state() == BatchState.CANCELLING) {
            return queries.view(batch, scope);
        }
        Instant now = clock.instant();
        int running = 0;
        for (TranscriptionJob item : jobs.findBatchItems(id, 0, Limit.unlimited())) {
            if (item.state().isWaiting()) {
                item.cancel(now);
                jobEnds.announceAlone(item);
            } else if (item.state().isUnderway()) {
                running++;
            }
        }
        batch.cancel(running > 0, now);
        if (batch.state().isTerminal()) {
            batchEnds.announce(batch);
        }
        return queries.view(batch, scope);
    }
}
