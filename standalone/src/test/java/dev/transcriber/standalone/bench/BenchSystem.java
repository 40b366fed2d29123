package dev.transcriber.standalone.bench;

import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import java.util.ArrayList;
import java.util.List;

/**
 * Both services for a benchmark: one upstream account on a fake, one caller key, quiet logs; sync jobs handed to the
 * worker directly unless {@code -Dbench.handOff=false}, their audio carried with the hand-off unless {@code
 * -Dbench.carry=false} (the worker reads it from the store then).
 */
final class BenchSystem {

    static final String KEY = "sk-bench-4ff55342c0ff2ae501d59ae07cca2fc7eff6e01d2e389058";

    private BenchSystem() {}

    /**
     * Infrastructure on a temporary folder and free ports, removed when closed, and stopped as the JVM exits should
     * the benchmark be ended by a signal before it closes it.
     */
    static LocalInfrastructure infrastructure() throws Exception {
        return LocalInfrastructure.throwaway("transcriber-bench", LocalInfrastructure.Ports.free())
                .stopAtExit();
    }

    static LocalSystem start(
            LocalInfrastructure infra, String upstreamBaseUrl, int upstreamSlots, String... workerSettings) {
        return start(infra, upstreamBaseUrl, upstreamSlots, List.of(), workerSettings);
    }

    /** As above, with settings for both services ({@code shared}) as well. */
    static LocalSystem start(
            LocalInfrastructure infra,
            String upstreamBaseUrl,
            int upstreamSlots,
            List<String> shared,
            String... workerSettings) {
        List<String> worker = new ArrayList<>(List.of(
                "--server.port=0",
                "--transcriber.accounts[0].id=bench",
                "--transcriber.accounts[0].base-url=" + upstreamBaseUrl,
                "--transcriber.accounts[0].api-key=bench-upstream",
                "--transcriber.accounts[0].max-concurrency=" + upstreamSlots,
                "--logging.level.root=WARN"));
        worker.addAll(List.of(workerSettings));
        worker.addAll(shared);
        List<String> api = new ArrayList<>(List.of(
                "--server.port=0",
                "--transcriber.api.bootstrap-keys=" + KEY,
                // every request is counted, as with the default limit, against a limit the benchmark never reaches
                "--transcriber.api.default-requests-per-minute=1000000000",
                "--logging.level.root=WARN"));
        if (!Boolean.parseBoolean(System.getProperty("bench.handOff", "true"))) {
            api.add("--transcriber.api.hand-off.worker="); // -Dbench.handOff=false: every job through Kafka
        }
        if (!Boolean.parseBoolean(System.getProperty("bench.carry", "true"))) {
            api.add("--transcriber.api.hand-off.carry-audio-up-to=0"); // -Dbench.carry=false: read from the store
        }
        api.addAll(shared);
        return LocalSystem.start(infra.serviceArguments(), worker, api);
    }
}
