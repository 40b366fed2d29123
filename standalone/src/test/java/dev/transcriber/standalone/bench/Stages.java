package dev.transcriber.standalone.bench;

import dev.transcriber.common.metrics.StageTimers;
import dev.transcriber.standalone.LocalSystem;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The services' {@code transcriber.stage} timers: the mean time of each step over a stretch of a benchmark. */
final class Stages {

    /** In the order a sync request meets them. */
    private static final List<String> ORDER = List.of(
            "api.store_audio",
            "api.record_job",
            "worker.claim",
            "worker.open_audio",
            "worker.read_audio",
            "worker.probe",
            "worker.upstream",
            "worker.record_result",
            "api.wait_for_end",
            "api.answer");

    private final List<MeterRegistry> registries;
    private Map<String, double[]> start = Map.of();

    private Stages(List<MeterRegistry> registries) {
        this.registries = registries;
    }

    static Stages of(LocalSystem system) {
        return new Stages(List.of(
                system.api().getBean(MeterRegistry.class), system.worker().getBean(MeterRegistry.class)));
    }

    void mark() {
        start = snapshot();
    }

    /** "stage mean ms" for every step since {@link #mark()}. */
    String sinceMark() {
        Map<String, double[]> now = snapshot();
        return ORDER.stream()
                .filter(now::containsKey)
                .map(stage -> {
                    double[] before = start.getOrDefault(stage, new double[2]);
                    double[] after = now.get(stage);
                    double count = after[0] - before[0];
                    return String.format(
                            Locale.ROOT, "%s %.2f", stage, count == 0 ? 0 : (after[1] - before[1]) / count);
                })
                .collect(Collectors.joining(" | "));
    }

    private Map<String, double[]> snapshot() {
        Map<String, double[]> totals = new LinkedHashMap<>();
        for (MeterRegistry registry : registries) {
            for (Timer timer : registry.find(StageTimers.METER).timers()) {
                totals.put(
                        timer.getId().getTag("stage"),
                        new double[] {timer.count(), timer.totalTime(TimeUnit.MILLISECONDS)});
            }
        }
        return totals;
    }
}
