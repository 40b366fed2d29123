package dev.transcriber.worker.accounts;

import dev.transcriber.common.catalog.CatalogModel;
import dev.transcriber.common.catalog.ModelCatalog;
import dev.transcriber.common.store.ServableModels;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Tells the api which catalog models this worker's usable accounts serve, so {@code /v1/models} is honest. */
@Component
class ServableModelsReporter {

    private final AccountPool pool;
    private final ModelCatalog catalog;
    private final ServableModels servable;
    private final Clock clock;
    private final String worker;

    ServableModelsReporter(
            AccountPool pool,
            ModelCatalog catalog,
            ServableModels servable,
            Clock clock,
            @Value("${transcriber.worker.id:}") String configuredId,
            @Value("${random.uuid}") String random) {
        this.pool = pool;
        this.catalog = catalog;
        this.servable = servable;
        this.clock = clock;
        this.worker = configuredId.isBlank() ? "worker-" + random : configuredId;
    }

    @EventListener(ApplicationReadyEvent.class)
    @Scheduled(fixedDelayString = "${transcriber.worker.models-report-interval:10s}", initialDelay = 10_000)
    void report() {
        Set<String> usable = pool.status().stream()
                .filter(s -> !"disabled".equals(s.state()) && !"circuit_open".equals(s.state()))
                .map(AccountPool.AccountStatus::id)
                .collect(Collectors.toSet());
        List<UpstreamAccount> accounts =
                pool.accounts().stream().filter(a -> usable.contains(a.id())).toList();
        Map<String, String> models = new LinkedHashMap<>();
        for (CatalogModel model : catalog.models()) {
            List<UpstreamAccount> serving =
                    accounts.stream().filter(a -> a.serves(model.id())).toList();
            if (!serving.isEmpty()) {
                boolean onlyLocal = serving.stream().allMatch(a -> a.kind() == AccountsProperties.ProviderKind.LOCAL);
                models.put(model.id(), onlyLocal ? "local-engine" : "openai");
            }
        }
        servable.report(worker, models, clock.instant());
    }
}
