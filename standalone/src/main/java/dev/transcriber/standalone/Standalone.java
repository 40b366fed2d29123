package dev.transcriber.standalone;

import dev.transcriber.api.ApiApplication;
import dev.transcriber.common.webhooks.WebhookSignature;
import dev.transcriber.standalone.infra.InfraControl;
import dev.transcriber.standalone.infra.LocalInfrastructure;
import dev.transcriber.standalone.infra.LocalPostgres;
import dev.transcriber.worker.WorkerApplication;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local mode: {@code all} (default) starts the infrastructure and both services in this JVM; {@code infra} the
 * infrastructure alone; {@code api} and {@code worker} one service against infrastructure started elsewhere. Data
 * lives under {@code TRANSCRIBER_HOME} (default {@code ./.transcriber}).
 */
public final class Standalone {

    private static final Logger log = LoggerFactory.getLogger(Standalone.class);

    /** Key files are the owner's alone (0600). */
    static final Set<PosixFilePermission> OWNER_ONLY =
            Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private Standalone() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "all";
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (mode) {
            case "api" ->
                ApiApplication.builder().properties(localCredentials()).run(withLocalKey(rest));
            case "worker" ->
                WorkerApplication.builder().properties(localCredentials()).run(withLocalWorkerSettings(rest));
            case "infra", "all" -> runLocal(mode.equals("all"), rest);
            default -> {
                System.err.println("usage: standalone [all|infra|api|worker] [--key=value ...]");
                System.exit(2);
            }
        }
    }

    private static void runLocal(boolean withServices, String[] extraArgs) throws Exception {
        Path home = Path.of(env("TRANSCRIBER_HOME", ".transcriber")).toAbsolutePath();
        Files.createDirectories(home);
        var ports = new LocalInfrastructure.Ports(
                Integer.parseInt(env("POSTGRES_PORT", "15432")),
                Integer.parseInt(env("KAFKA_PORT", "19092")),
                Integer.parseInt(env("KAFKA_CONTROLLER_PORT", "19093")),
                Integer.parseInt(env("S3_PORT", "19000")));
        LocalInfrastructure infra = LocalInfrastructure.start(home, ports);
        InfraControl control = InfraControl.start(home, infra);
        CountDownLatch stopped = new CountDownLatch(1);
        LocalSystem[] system = new LocalSystem[1];
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            log.info("stopping");
                            try {
                                control.close();
                                if (system[0] != null) {
                                    system[0].close();
                                }
                                infra.close();
                            } catch (Exception e) {
                                log.warn("stop failed: {}", e.toString());
                            }
                            stopped.countDown();
                        },
                        "transcriber-stop"));
        if (withServices) {
            String apiKey = localApiKey(home);
            String adminToken = localSecret(home, "TRANSCRIBER_ADMIN_TOKEN", "admin-token", "admin-");
            String webhookSecret = localWebhookSecret(home);
            List<String> worker = new ArrayList<>(localWorkerSettings(home));
            worker.addAll(List.of(extraArgs));
            List<String> api = new ArrayList<>(localApiSettings(home));
            api.addAll(List.of(extraArgs));
            system[0] = LocalSystem.start(infra.serviceArguments(), worker, api);
            System.out.printf(
                    "%n  transcriber is running on http://localhost:%d/v1%n  API key: %s%n"
                            + "  webhook signing secret: %s%n"
                            + "  accounts: http://localhost:%s/admin/accounts (admin token: %s)%n  data: %s%n"
                            + "  Ctrl-C stops it.%n%n",
                    system[0].apiPort(),
                    apiKey,
                    webhookSecret,
                    system[0].worker().getEnvironment().getProperty("local.server.port"),
                    adminToken,
                    home);
        } else {
            System.out.printf(
                    "%n  local infrastructure is running (data: %s)%n  %s%n  Ctrl-C stops it.%n%n",
                    home, String.join(" ", infra.serviceArguments()));
        }
        stopped.await();
    }

    /** A lone worker in local mode has the same admin token and offline fallback as in {@code all}. */
    private static String[] withLocalWorkerSettings(String[] args) throws IOException {
        Path home = Path.of(env("TRANSCRIBER_HOME", ".transcriber")).toAbsolutePath();
        Files.createDirectories(home);
        List<String> all = new ArrayList<>(localWorkerSettings(home));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    private static List<String> localWorkerSettings(Path home) throws IOException {
        List<String> settings = new ArrayList<>(List.of(
                "--transcriber.network.allow-loopback=true",
                "--transcriber.admin.token=" + localSecret(home, "TRANSCRIBER_ADMIN_TOKEN", "admin-token", "admin-"),
                "--transcriber.local-engine.when-no-accounts=true",
                "--transcriber.local-engine.model-dir=" + home.resolve("models").resolve("vosk-model-en-us")));
        settings.addAll(localConsumers(System.getenv()));
        return settings;
    }

    /**
     * One Kafka consumer per lane instead of two: the local mode's one worker gains nothing from a second (its lane's
     * slots are shared by both), and each idle consumer costs the local broker a heartbeat every 3 s and a fetch every
     * 5 s. Unless {@code TRANSCRIBER_WORKER_CONSUMERS} says otherwise.
     */
    static List<String> localConsumers(Map<String, String> environment) {
        String chosen = environment.get("TRANSCRIBER_WORKER_CONSUMERS");
        return chosen == null || chosen.isBlank() ? List.of("--transcriber.worker.consumers=1") : List.of();
    }

    /**
     * The credentials of {@code ./run.sh infra}'s servers for a lone api or worker, which the services' own settings
     * do not carry (a deployment that forgets them must not log in with well-known ones): as the application's default
     * properties, the lowest source, so the environment, system properties, a config tree and the command line (such
     * as the arguments {@code ./run.sh infra} prints) all override them.
     */
    static Map<String, Object> localCredentials() {
        return Map.of(
                "DATABASE_PASSWORD", LocalPostgres.PASSWORD,
                "S3_ACCESS_KEY", LocalInfrastructure.S3_ACCESS_KEY,
                "S3_SECRET_KEY", LocalInfrastructure.S3_SECRET_KEY);
    }

    /** A lone api process in local mode accepts the same key as {@code all} does. */
    private static String[] withLocalKey(String[] args) throws IOException {
        Path home = Path.of(env("TRANSCRIBER_HOME", ".transcriber")).toAbsolutePath();
        Files.createDirectories(home);
        List<String> all = new ArrayList<>(localApiSettings(home));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /**
     * The local key, its webhook secret, and loopback opened for audio_url and webhook_url (a local user may name
     * localhost; private ranges and metadata addresses stay refused).
     */
    private static List<String> localApiSettings(Path home) throws IOException {
        return List.of(
                "--transcriber.admin.token=" + localSecret(home, "TRANSCRIBER_ADMIN_TOKEN", "admin-token", "admin-"),
                "--transcriber.api.bootstrap-keys=" + localApiKey(home),
                "--transcriber.api.bootstrap-webhook-secret=" + localWebhookSecret(home),
                "--transcriber.network.allow-loopback=true");
    }

    /** TRANSCRIBER_WEBHOOK_SECRET, or one generated once and kept in the data folder. */
    private static String localWebhookSecret(Path home) throws IOException {
        String configured = System.getenv("TRANSCRIBER_WEBHOOK_SECRET");
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        Path path = home.resolve("webhook-secret");
        if (Files.exists(path)) {
            return readSecret(path);
        }
        return writeSecret(path, WebhookSignature.newSecret());
    }

    /** TRANSCRIBER_API_KEY, or a key generated once and kept in the data folder. */
    private static String localApiKey(Path home) throws IOException {
        return localSecret(home, "TRANSCRIBER_API_KEY", "api-key", "sk-local-");
    }

    /** The variable's value, or a secret generated once and kept in the data folder under {@code file}. */
    static String localSecret(Path home, String variable, String file, String prefix) throws IOException {
        String configured = System.getenv(variable);
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        Path path = home.resolve(file);
        if (Files.exists(path)) {
            return readSecret(path);
        }
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return writeSecret(path, prefix + HexFormat.of().formatHex(random));
    }

    /**
     * A secret file of an earlier start (or of a process started together with this one); one left readable by others
     * is made owner-only first. A file without its line end is one still being written by a process started together
     * with this one: read again for up to two seconds, until it ends with the line end every secret written here ends
     * with.
     */
    private static String readSecret(Path path) throws IOException {
        if (!Files.getPosixFilePermissions(path).equals(OWNER_ONLY)) {
            Files.setPosixFilePermissions(path, OWNER_ONLY);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        String written = Files.readString(path);
        while (!written.endsWith("\n") && System.nanoTime() < deadline) { // a secret written here ends with one
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while reading " + path, e);
            }
            written = Files.readString(path);
        }
        String secret = written.trim();
        if (secret.isEmpty()) {
            throw new IOException(path + " is empty: remove it to have a new secret generated");
        }
        return secret;
    }

    /**
     * Writes {@code secret} to a new file that only its owner can read or write (0600) from the moment it exists,
     * created exclusively and written at once. When another process (a lone api and worker started together on a fresh
     * home) got there first, its secret is the one, read back once whole ({@link #readSecret}).
     */
    static String writeSecret(Path path, String secret) throws IOException {
        java.nio.channels.SeekableByteChannel out;
        try {
            out = Files.newByteChannel(
                    path,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException lost) {
            return readSecret(path);
        }
        try (out) {
            out.write(java.nio.ByteBuffer.wrap((secret + "\n").getBytes(StandardCharsets.UTF_8)));
            return secret;
        } catch (IOException | RuntimeException failed) {
            Files.deleteIfExists(path); // this start created it: not left half written for the next
            throw failed;
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
