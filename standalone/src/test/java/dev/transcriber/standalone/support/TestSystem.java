package dev.transcriber.standalone.support;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.common.storage.ObjectStore;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.standalone.LocalSystem;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole system for flow tests, started once per test JVM: real infrastructure, both services, and a fake
 * upstream that is a real HTTP server (WireMock) on 127.0.0.1 with two accounts' keys.
 */
public final class TestSystem {

    public static final String API_KEY = "sk-test-flow-4fbca177ad685adc164e63e2cd64fbacc9ca7b067cac5a7e";
    /** A second caller, for checks that one key cannot see another's jobs. */
    public static final String OTHER_API_KEY = "sk-test-other-2e49ab0ab4b34c485e129f9590ae404109697f0b22a731a3";

    public static final String ADMIN_TOKEN = "admin-test-0681c308d6fddeb14fff392ace15a6b8f6c2de27c021f176";
    public static final String METRICS_TOKEN = "metrics-test-5b3e8d1a07c94f26be1d0a7c3f9e5b28d4a6c0e1";
    public static final List<String> UPSTREAM_KEYS = List.of("upstream-key-a", "upstream-key-b");
    public static final long MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
    public static final int UPSTREAM_ATTEMPTS = 3;

    private static TestSystem embedded;
    private static TestSystem containers;

    private final WireMockServer upstream;
    private final LocalSystem system;
    private final List<String> infraArgs;
    private final List<String> apiArgs;
    private final List<String> workerArgs;
    private final AutoCloseable infra;
    private boolean closed;

    private TestSystem(List<String> infraArgs, AutoCloseable infra) {
        this(
                infraArgs,
                infra,
                List.of(),
                List.of(),
                new org.springframework.context.ApplicationContextInitializer<?>[0]);
    }

    /**
     * {@code workerArgs} and {@code apiArgs} replace the defaults of the same names; {@code initializers} run on both
     * services' contexts.
     */
    private TestSystem(
            List<String> infraArgs,
            AutoCloseable infra,
            List<String> workerArgs,
            List<String> apiArgs,
            org.springframework.context.ApplicationContextInitializer<?>... initializers) {
        this.infra = infra;
        this.infraArgs = List.copyOf(infraArgs);
        this.apiArgs = List.copyOf(apiArgs);
        this.upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        upstream.start();
        this.workerArgs = override(
                List.of(
                        "--server.port=0",
                        "--transcriber.admin.token=" + ADMIN_TOKEN,
                        "--transcriber.metrics.token=" + METRICS_TOKEN,
                        "--transcriber.openai.base-url=" + upstream.baseUrl() + "/v1",
                        "--transcriber.openai.api-key=" + String.join(",", UPSTREAM_KEYS),
                        "--transcriber.upstream.retry.max-attempts=" + UPSTREAM_ATTEMPTS,
                        "--transcriber.upstream.retry.initial-backoff=20ms",
                        "--transcriber.upstream.retry.max-backoff=100ms",
                        "--transcriber.upstream.call-timeout=3s",
                        "--transcriber.worker.reaper-interval=500ms",
                        "--transcriber.worker.lease-renewal=500ms",
                        "--transcriber.worker.queue.sweep-interval=500ms",
                        "--transcriber.outbox.relay-interval=200ms"),
                workerArgs);
        this.system = LocalSystem.start(
                infraArgs,
                this.workerArgs,
                override(
                        List.of(
                                "--server.port=0",
                                "--transcriber.api.bootstrap-keys=" + API_KEY + "," + OTHER_API_KEY,
                                "--transcriber.admin.token=" + ADMIN_TOKEN,
                                "--transcriber.metrics.token=" + METRICS_TOKEN,
                                "--transcriber.api.max-upload-size=" + MAX_UPLOAD_BYTES + "B",
                                "--transcriber.api.completion-poll-interval=500ms",
                                "--transcriber.outbox.relay-interval=200ms"),
                        apiArgs),
                initializers);
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "test-system-stop"));
    }

    /** Kafka, PostgreSQL and S3 started by the build, in this JVM. */
    public static synchronized TestSystem embedded() {
        if (embedded == null) {
            embedded = start(() -> {
                try {
                    LocalInfrastructure infra =
                            LocalInfrastructure.throwaway("transcriber-test", LocalInfrastructure.Ports.free());
                    return new Started(infra.serviceArguments(), infra);
                } catch (Exception e) {
                    throw new IllegalStateException("could not start the embedded infrastructure", e);
                }
            });
        }
        return embedded;
    }

    /**
     * A system of its own (not shared with other tests), for tests that take the infrastructure down. Close it when
     * done.
     */
    public static Isolated isolated() throws Exception {
        LocalInfrastructure infra =
                LocalInfrastructure.throwaway("transcriber-isolated", LocalInfrastructure.Ports.free());
        return new Isolated(new TestSystem(infra.serviceArguments(), infra), infra);
    }

    /** As {@link #isolated()}, with settings of its own for each service. */
    public static Isolated isolated(List<String> workerArgs, List<String> apiArgs) throws Exception {
        return isolated(workerArgs, apiArgs, new org.springframework.context.ApplicationContextInitializer<?>[0]);
    }

    /** As {@link #isolated(List, List)}, with {@code initializers} run on both services' contexts (to add beans). */
    public static Isolated isolated(
            List<String> workerArgs,
            List<String> apiArgs,
            org.springframework.context.ApplicationContextInitializer<?>... initializers)
            throws Exception {
        LocalInfrastructure infra =
                LocalInfrastructure.throwaway("transcriber-isolated", LocalInfrastructure.Ports.free());
        return new Isolated(new TestSystem(infra.serviceArguments(), infra, workerArgs, apiArgs, initializers), infra);
    }

    private static List<String> override(List<String> defaults, List<String> overrides) {
        List<String> names =
                overrides.stream().map(a -> a.substring(0, a.indexOf('='))).toList();
        List<String> merged = new java.util.ArrayList<>(defaults.stream()
                .filter(a -> !names.contains(a.substring(0, a.indexOf('='))))
                .toList());
        merged.addAll(overrides);
        return merged;
    }

    /** An isolated system and a handle on its infrastructure. */
    public record Isolated(TestSystem system, LocalInfrastructure infra) implements AutoCloseable {
        @Override
        public void close() {
            system.close();
        }
    }

    /** The same system against the docker-compose images, where Docker exists. */
    public static synchronized TestSystem containers() {
        if (containers == null) {
            containers = start(() -> {
                ContainerInfrastructure infra = ContainerInfrastructure.start();
                return new Started(infra.serviceArguments(), infra);
            });
        }
        return containers;
    }

    private record Started(List<String> args, AutoCloseable infra) {}

    private static TestSystem start(Supplier<Started> infra) {
        Started started = infra.get();
        return new TestSystem(started.args(), started.infra());
    }

    public WireMockServer upstream() {
        return upstream;
    }

    /**
     * The fake upstream without stubs, and every upstream account usable again (circuits closed, cooldowns and
     * disabling cleared), so a test on the shared system does not inherit the failures an earlier test provoked.
     */
    public void resetUpstream() {
        upstream.resetAll();
        dev.transcriber.worker.accounts.AccountPool pool =
                system.worker().getBean(dev.transcriber.worker.accounts.AccountPool.class);
        pool.status().forEach(account -> pool.enable(account.id()));
    }

    /** The id of the key whose secret is {@code apiKey} (one of the bootstrap keys). */
    public java.util.UUID keyId(String apiKey) {
        return system.api()
                .getBean(dev.transcriber.api.keys.ApiKeys.class)
                .authenticate(apiKey)
                .orElseThrow()
                .id();
    }

    public String apiBaseUrl() {
        return "http://127.0.0.1:" + system.apiPort();
    }

    public String workerBaseUrl() {
        return "http://127.0.0.1:" + system.worker().getEnvironment().getRequiredProperty("local.server.port");
    }

    public ConfigurableApplicationContext api() {
        return system.api();
    }

    /**
     * One more api instance on the same infrastructure and settings (port chosen freely); close it when done. Its
     * Kafka consumer groups are its own, like a second replica's.
     */
    public ConfigurableApplicationContext startAnotherApi() {
        return startAnotherApi(List.of());
    }

    /** As {@link #startAnotherApi()}, with {@code settings} replacing any setting of the same name (infrastructure's too). */
    public ConfigurableApplicationContext startAnotherApi(List<String> settings) {
        List<String> defaults = new java.util.ArrayList<>(infraArgs);
        defaults.addAll(List.of(
                "--server.port=0",
                "--transcriber.api.bootstrap-keys=" + API_KEY + "," + OTHER_API_KEY,
                "--transcriber.admin.token=" + ADMIN_TOKEN,
                "--transcriber.metrics.token=" + METRICS_TOKEN));
        List<String> args = override(override(defaults, apiArgs), settings);
        return dev.transcriber.api.ApiApplication.builder()
                .registerShutdownHook(false)
                .run(args.toArray(String[]::new));
    }

    /**
     * One more worker on the same infrastructure and settings, with {@code settings} replacing any of the same name;
     * close it when done. It joins the first worker's consumer groups, like a second replica.
     */
    public ConfigurableApplicationContext startAnotherWorker(List<String> settings) {
        List<String> args = override(override(new java.util.ArrayList<>(infraArgs), workerArgs), settings);
        return dev.transcriber.worker.WorkerApplication.builder()
                .registerShutdownHook(false)
                .run(args.toArray(String[]::new));
    }

    /** The settings that point a service at this system's infrastructure (database, Kafka, object store). */
    public List<String> infraArguments() {
        return infraArgs;
    }

    /** The object store's endpoint, as the services are given it. */
    public String objectStoreEndpoint() {
        String name = "--transcriber.storage.endpoint=";
        return infraArgs.stream()
                .filter(a -> a.startsWith(name))
                .map(a -> a.substring(name.length()))
                .findFirst()
                .orElseThrow();
    }

    public void restartWorker() {
        system.restartWorker();
    }

    public ConfigurableApplicationContext worker() {
        return system.worker();
    }

    /** A queued interactive job whose audio (half a second of tone) is in the store; not saved. */
    public dev.transcriber.common.store.TranscriptionJob queuedJobWithStoredAudio(
            dev.transcriber.common.events.JobId jobId) {
        byte[] audio = TestAudio.toneWav(0.5);
        String key = dev.transcriber.common.storage.ObjectKeys.sourceAudio(jobId);
        objectStore().put(key, new java.io.ByteArrayInputStream(audio), audio.length, "audio/wav");
        return dev.transcriber.common.store.TranscriptionJob.queued(
                jobId,
                null,
                dev.transcriber.common.events.Lane.INTERACTIVE,
                new dev.transcriber.common.store.JobSpec("gpt-4o-transcribe", "json", null, null, null),
                new dev.transcriber.common.store.StoredAudio(key, "a.wav", "audio/wav", audio.length),
                java.time.Instant.now());
    }

    public JobRepository jobs() {
        return system.api().getBean(JobRepository.class);
    }

    public ObjectStore objectStore() {
        return system.api().getBean(ObjectStore.class);
    }

    private synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            system.close();
            upstream.stop();
        } catch (RuntimeException e) {
            // the servers below are stopped all the same, so their data folder goes
        } finally {
            try {
                infra.close();
            } catch (Exception e) {
                // the JVM is ending; nothing to report to
            }
        }
    }
}
