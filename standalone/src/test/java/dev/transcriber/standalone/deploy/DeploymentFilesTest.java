package dev.transcriber.standalone.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.transcriber.common.events.Lane;
import dev.transcriber.standalone.support.ContainerInfrastructure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * What an operator deploys, read as the tools read it: docker-compose.yml, the Dockerfiles and the k8s/ overlays. The
 * files are parsed and checked here on every build; where {@code docker-compose} or {@code kubectl} is installed
 * (as on the machines this was written on) the file is also validated by that tool and the overlays are rendered by
 * kustomize and their output checked.
 */
class DeploymentFilesTest {

    private static final Path ROOT = root();
    private static final String API_IMAGE = "transcriber/api-service";
    private static final String WORKER_IMAGE = "transcriber/worker-service";
    private static final int MANAGEMENT_PORT = 9090;
    private static final Map<Lane, String> GROUPS =
            Map.of(Lane.INTERACTIVE, "workers", Lane.ASYNC, "workers-async", Lane.BULK, "workers-bulk");

    // --- docker-compose.yml ---------------------------------------------------------------------------------------

    @Test
    void composeBuildsTheImagesTheManifestsRunFromTheSources() throws IOException {
        Map<String, Object> services = map(compose(), "services");
        String apiImage = string(map(services, "api"), "image");
        String workerImage = string(map(services, "worker"), "image");
        assertThat(apiImage).startsWith(API_IMAGE + ":");
        assertThat(workerImage).startsWith(WORKER_IMAGE + ":");
        assertThat(string(map(services, "migrate"), "image")).isEqualTo(apiImage);

        Map<String, String> k8sTags = new HashMap<>();
        for (Object image :
                list(yaml(ROOT.resolve("k8s/base/kustomization.yaml")).getFirst(), "images")) {
            k8sTags.put(string(cast(image), "name"), string(cast(image), "newTag"));
        }
        assertThat(API_IMAGE + ":" + k8sTags.get(API_IMAGE)).isEqualTo(apiImage);
        assertThat(WORKER_IMAGE + ":" + k8sTags.get(WORKER_IMAGE)).isEqualTo(workerImage);

        for (String service : List.of("api", "worker", "migrate")) {
            Map<String, Object> build = map(map(services, service), "build");
            assertThat(string(build, "context"))
                    .as(service + " builds from the repository root")
                    .isEqualTo(".");
            assertThat(ROOT.resolve(string(build, "dockerfile"))).isRegularFile();
        }
        assertThat(string(map(services, "postgres"), "image")).isEqualTo(ContainerInfrastructure.POSTGRES_IMAGE);
        assertThat(string(map(services, "kafka"), "image")).isEqualTo(ContainerInfrastructure.KAFKA_IMAGE);
        assertThat(string(map(services, "minio"), "image")).isEqualTo(ContainerInfrastructure.MINIO_IMAGE);
    }

    @Test
    void composeRunsAFleetWithItsOwnCredentialsAndNoDefaults() throws IOException {
        Map<String, Object> services = map(compose(), "services");
        for (String service : List.of("postgres", "kafka", "minio", "api", "worker")) {
            assertThat(map(services, service)).as(service).containsEntry("restart", "unless-stopped");
        }
        for (String once : List.of("secrets", "minio-init", "migrate")) {
            assertThat(map(services, once)).as(once).containsEntry("restart", "no");
        }
        assertThat(map(map(services, "worker"), "deploy")).containsEntry("replicas", 2);
        // the apps' JVMs size their heap from their container's memory: each has a limit, as in k8s
        for (String app : List.of("api", "worker", "migrate")) {
            assertThat(map(map(map(services, app), "deploy"), "resources"))
                    .as(app)
                    .extractingByKey("limits")
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                    .containsKey("memory");
        }
        assertThat(list(map(services, "migrate"), "command")).containsExactly("migrate");

        Map<String, Object> minio = map(services, "minio");
        assertThat(String.valueOf(map(minio, "healthcheck").get("test"))).doesNotContain("curl");
        assertThat(string(minio, "image")).doesNotContain("RELEASE.2023");
        assertThat(list(minio, "ports")).contains("9000:9000");

        for (String app : List.of("api", "worker", "migrate")) {
            Map<String, Object> env = map(map(services, app), "environment");
            assertThat(env)
                    .as(app)
                    .containsEntry("S3_ACCESS_KEY", "transcriber-app")
                    .containsEntry("LOGGING_STRUCTURED_FORMAT_CONSOLE", "ecs")
                    .containsEntry("TRANSCRIBER_MIGRATE_ON_START", "false")
                    .containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT))
                    .containsEntry("SPRING_CONFIG_IMPORT", "optional:configtree:/run/secrets/transcriber/app/")
                    .containsKey("S3_PUBLIC_ENDPOINT")
                    .doesNotContainKeys(
                            "MINIO_ROOT_USER",
                            "MINIO_ROOT_PASSWORD",
                            "DATABASE_PASSWORD",
                            "S3_SECRET_KEY",
                            "TRANSCRIBER_ADMIN_TOKEN");
        }
        for (String app : List.of("api", "worker")) {
            Map<String, Object> depends = map(map(services, app), "depends_on");
            assertThat(map(depends, "migrate")).containsEntry("condition", "service_completed_successfully");
            assertThat(map(depends, "minio-init")).containsEntry("condition", "service_completed_successfully");
            assertThat(String.valueOf(map(map(services, app), "healthcheck").get("test")))
                    .contains(":" + MANAGEMENT_PORT + "/actuator/health/readiness");
        }
        assertThat(list(map(services, "api"), "ports"))
                .as("the management port is not published")
                .containsExactly("8080:8080");
        // Every credential is generated unless given: the secrets step's inputs default to nothing.
        map(map(services, "secrets"), "environment")
                .forEach((name, value) -> assertThat(value).as(name).isEqualTo("${" + name + ":-}"));
        String text = Files.readString(ROOT.resolve("docker-compose.yml"));
        assertThat(text).doesNotContainIgnoringCase("change-me");
        assertThat(text).contains("mc admin user add root transcriber-app");
        assertThat(string(map(map(services, "postgres"), "environment"), "POSTGRES_PASSWORD_FILE"))
                .as("the apps' config tree holds no root password")
                .doesNotStartWith("/run/secrets/transcriber/app/");
    }

    @Test
    void composeValidatesWhereDockerComposeIsInstalled() throws Exception {
        List<String> compose = installed("docker-compose") ? List.of("docker-compose") : null;
        if (compose == null && installed("docker")) {
            compose = run(ROOT, List.of("docker", "compose", "version")).exit() == 0
                    ? List.of("docker", "compose")
                    : null;
        }
        assumeTrue(compose != null, "neither docker-compose nor docker compose is installed here");
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("config", "-q"));
        Result result = run(ROOT, command);
        assertThat(result.exit()).as(result.output()).isZero();
    }

    // --- Dockerfiles ----------------------------------------------------------------------------------------------

    @Test
    void theDockerfilesBuildFromTheSourcesAndRunLayersAsAnotherUserThanRoot() throws IOException {
        for (String service : List.of("api-service", "worker-service")) {
            List<String> lines = Files.readAllLines(ROOT.resolve(service + "/Dockerfile"));
            assertThat(lines.stream().filter(line -> line.startsWith("FROM ")))
                    .as(service + ": build, layers, run")
                    .hasSize(3);
            assertThat(lines)
                    .anySatisfy(line -> assertThat(line).contains("mvn ").contains("-pl " + service));
            assertThat(lines)
                    .anySatisfy(
                            line -> assertThat(line).contains("-Djarmode=tools").contains("--layers"));
            assertThat(lines).contains("USER 10001:10001");
            for (String line : lines) {
                if (line.startsWith("COPY ") && !line.startsWith("COPY --from")) {
                    String source = line.split("\\s+")[1];
                    assertThat(ROOT.resolve(source)).as(service + ": " + line).exists();
                    assertThat(source)
                            .as(service + ": nothing built beforehand")
                            .doesNotContain("target");
                }
            }
        }
        List<String> ignored = Files.readAllLines(ROOT.resolve(".dockerignore"));
        assertThat(ignored).contains("**/target/", ".env", "**/*.env", ".transcriber/");
    }

    // --- k8s/ -----------------------------------------------------------------------------------------------------

    @Test
    void everyManifestParsesAndNoneHoldsACredential() throws Exception {
        List<Path> files = k8sFiles();
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            String text = Files.readString(file);
            assertThat(text).as(file.toString()).doesNotContainIgnoringCase("change-me");
            if (file.toString().endsWith(".yaml")) {
                for (Map<String, Object> document : yaml(file)) {
                    assertThat(document).as(file.toString()).containsKeys("apiVersion", "kind");
                    if (!"Kustomization".equals(document.get("kind"))) {
                        assertThat(string(map(document, "metadata"), "name"))
                                .as(file.toString())
                                .isNotBlank();
                    }
                }
            } else if (file.toString().endsWith(".env.example")) {
                for (String line : Files.readAllLines(file)) {
                    if (!line.isBlank() && !line.startsWith("#")) {
                        assertThat(line).as(file + ": no value is shipped").endsWith("=");
                    }
                }
            } else {
                assertThat(file.toString())
                        .as("only manifests and examples are committed")
                        .endsWith(".yaml");
            }
        }
        assertThat(Files.readAllLines(ROOT.resolve(".gitignore"))).contains("k8s/overlays/*/secrets/*.env");
        for (String overlay : List.of("dev", "prod")) {
            Map<String, Object> kustomization = yaml(ROOT.resolve("k8s/overlays/" + overlay + "/kustomization.yaml"))
                    .getFirst();
            List<String> names = new ArrayList<>();
            for (Object generator : list(kustomization, "secretGenerator")) {
                names.add(string(cast(generator), "name"));
                for (Object env : list(cast(generator), "envs")) {
                    Path file = ROOT.resolve("k8s/overlays/" + overlay).resolve((String) env);
                    assertThat(files).as("the operator's file, never committed").doesNotContain(file);
                    assertThat(files).contains(Path.of(file + ".example"));
                    if (git()) {
                        assertThat(run(ROOT, List.of("git", "check-ignore", "-q", file.toString()))
                                        .exit())
                                .as(file + " is ignored by git")
                                .isZero();
                    }
                }
            }
            assertThat(names).containsExactlyInAnyOrder("api-service-secrets", "worker-service-secrets");
        }
    }

    @Test
    void theOverlaysRenderToADeployableFleet() throws Exception {
        assumeTrue(installed("kubectl"), "kubectl is not installed here: the overlays are not rendered");
        Path copy = Files.createTempDirectory("k8s-render");
        for (Path source : k8sFiles()) {
            Path target = copy.resolve(ROOT.resolve("k8s").relativize(source).toString());
            Files.createDirectories(target.getParent());
            Files.copy(source, target);
        }
        for (String overlay : List.of("dev", "prod")) {
            Path dir = copy.resolve("overlays/" + overlay);
            Result withoutSecrets = run(dir, List.of("kubectl", "kustomize", "."));
            assertThat(withoutSecrets.exit())
                    .as(overlay + " renders only once the operator has written the Secrets' files")
                    .isNotZero();
            try (Stream<Path> examples = Files.list(dir.resolve("secrets"))) {
                for (Path example : examples.toList()) {
                    String filled = Files.readString(example).replaceAll("(?m)^([A-Z_]+)=$", "$1=test-value-$1");
                    Files.writeString(
                            Path.of(example.toString().replace(".example", "")), filled, StandardCharsets.UTF_8);
                }
            }
            Result rendered = run(dir, List.of("kubectl", "kustomize", "."));
            assertThat(rendered.exit()).as(rendered.output()).isZero();
            checkRendered(overlay, new Yaml().loadAll(rendered.output()));
        }
    }

    private static void checkRendered(String overlay, Iterable<Object> documents) {
        Map<String, Map<String, Object>> byName = new LinkedHashMap<>();
        for (Object document : documents) {
            if (document == null) {
                continue;
            }
            Map<String, Object> resource = cast(document);
            assertThat(resource).containsKeys("apiVersion", "kind", "metadata");
            String key = resource.get("kind") + "/" + string(map(resource, "metadata"), "name");
            assertThat(byName).as(overlay + ": " + key + " twice").doesNotContainKey(key);
            byName.put(key, resource);
            assertThat(string(map(resource, "metadata"), "namespace"))
                    .as(overlay + ": " + key)
                    .isEqualTo(overlay.equals("prod") ? "transcriber" : "transcriber-dev");
        }
        String what = overlay + ": ";
        Map<String, Object> config = only(byName, "ConfigMap", "transcriber-config-");
        Map<String, Object> data = map(config, "data");
        assertThat(data)
                .containsEntry("TRANSCRIBER_MIGRATE_ON_START", "false")
                .containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT))
                .containsEntry("LOGGING_STRUCTURED_FORMAT_CONSOLE", "ecs")
                .containsKey("S3_PUBLIC_ENDPOINT")
                .containsEntry("KAFKA_REPLICATION_FACTOR", overlay.equals("prod") ? "3" : "1");
        String apiSecret = name(only(byName, "Secret", "api-service-secrets-"));
        String workerSecret = name(only(byName, "Secret", "worker-service-secrets-"));

        // The api: its own Secret, management port for probes only, drain-sized stop, locked-down container.
        Map<String, Object> api = byName.get("Deployment/api-service");
        assertThat(api).as(what + "the api").isNotNull();
        Map<String, Object> apiPod = pod(api);
        assertThat(((Number) apiPod.get("terminationGracePeriodSeconds")).intValue())
                .as(what + "grace > preStop 5 s + shutdown phase 35 s")
                .isGreaterThan(40);
        Map<String, Object> apiContainer = container(api);
        assertThat(string(apiContainer, "image")).startsWith(API_IMAGE + ":");
        assertThat(map(map(apiContainer, "lifecycle"), "preStop")).isNotEmpty();
        assertLockedDown(what + "api", apiPod, apiContainer);
        assertThat(secretsUsed(apiContainer)).containsExactly(apiSecret);

        // The workers: a Deployment per lane, reading that lane only, each scaled by KEDA on its own group.
        for (Lane lane : Lane.values()) {
            String name = "worker-" + lane.name().toLowerCase(Locale.ROOT);
            Map<String, Object> worker = byName.get("Deployment/" + name);
            assertThat(worker).as(what + name).isNotNull();
            assertThat(map(worker, "spec"))
                    .as(what + name + ": replicas are KEDA's")
                    .doesNotContainKey("replicas");
            Map<String, Object> container = container(worker);
            assertThat(string(container, "image")).startsWith(WORKER_IMAGE + ":");
            assertThat(env(container)).containsEntry("TRANSCRIBER_WORKER_LANES", lane.name());
            assertThat(env(container)).containsEntry("TRANSCRIBER_SCRATCH_DIR", "/tmp/scratch");
            assertLockedDown(what + name, pod(worker), container);
            assertThat(secretsUsed(container)).containsExactly(workerSecret);

            Map<String, Object> scaled = byName.get("ScaledObject/" + name);
            assertThat(scaled).as(what + "a ScaledObject for " + name).isNotNull();
            assertThat(map(map(scaled, "spec"), "scaleTargetRef")).containsEntry("name", name);
            Map<String, Object> trigger =
                    cast(list(map(scaled, "spec"), "triggers").getFirst());
            assertThat(trigger).containsEntry("type", "kafka");
            assertThat(map(trigger, "metadata"))
                    .containsEntry("consumerGroup", GROUPS.get(lane))
                    .containsEntry("topic", lane.topic())
                    .containsEntry("bootstrapServersFromEnv", "KAFKA_BOOTSTRAP_SERVERS");
            assertThat(byName).containsKey("PodDisruptionBudget/" + name);
        }
        assertThat(byName.keySet().stream().filter(key -> key.startsWith("Deployment/")))
                .containsExactlyInAnyOrder(
                        "Deployment/api-service",
                        "Deployment/worker-interactive",
                        "Deployment/worker-async",
                        "Deployment/worker-bulk");

        Map<String, Object> hpa = byName.get("HorizontalPodAutoscaler/api-service");
        assertThat(map(map(hpa, "spec"), "scaleTargetRef")).containsEntry("name", "api-service");
        assertThat(String.valueOf(list(map(hpa, "spec"), "metrics"))).contains("cpu");
        assertThat(map(api, "spec"))
                .as(what + "the api's replicas are the HPA's")
                .doesNotContainKey("replicas");
        assertThat(byName).containsKey("PodDisruptionBudget/api-service");

        // No Service reaches a management port.
        for (Map.Entry<String, Map<String, Object>> service : byName.entrySet()) {
            if (service.getKey().startsWith("Service/")) {
                for (Object port : list(map(service.getValue(), "spec"), "ports")) {
                    assertThat(cast(port))
                            .as(what + service.getKey())
                            .doesNotContainEntry("targetPort", "management")
                            .doesNotContainEntry("targetPort", MANAGEMENT_PORT)
                            .doesNotContainEntry("port", MANAGEMENT_PORT);
                }
            }
        }

        Map<String, Object> ingress = byName.get("Ingress/api-service");
        Map<String, Object> annotations = map(map(ingress, "metadata"), "annotations");
        assertThat(annotations).containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "1g");
        assertThat(Integer.parseInt(string(annotations, "nginx.ingress.kubernetes.io/proxy-read-timeout")))
                .as("longer than a held sync request (30 min)")
                .isGreaterThan(1800);

        for (String policy : List.of("api-service", "worker-service", "schema-migrate")) {
            Map<String, Object> network = byName.get("NetworkPolicy/" + policy);
            assertThat(network).as(what + "NetworkPolicy " + policy).isNotNull();
            assertThat(list(map(network, "spec"), "policyTypes")).contains("Egress");
        }
        // the worker reaches private addresses only on the infrastructure's own ports: its rule for every address
        // (upstreams, audio_url, webhooks) excludes them, and rules add up, so 443 open to any address would open
        // every private HTTPS service (the cluster's API server among them) to it
        for (Object rule : list(map(byName.get("NetworkPolicy/worker-service"), "spec"), "egress")) {
            Map<String, Object> egress = cast(rule);
            if (!egress.containsKey("to")) {
                assertThat(list(egress, "ports").stream()
                                .map(port -> cast(port).get("port"))
                                .toList())
                        .as(what + "worker egress to any address")
                        .doesNotContain(443, 80);
            }
        }

        Map<String, Object> job = byName.get("Job/schema-migrate");
        Map<String, Object> migrate = container(job);
        assertThat(string(migrate, "image")).isEqualTo(string(apiContainer, "image"));
        assertThat(list(migrate, "args")).containsExactly("migrate");
        assertThat(secretsUsed(migrate)).containsExactly(apiSecret);
    }

    /** Not root, no privilege escalation, read-only root with /tmp an emptyDir, probes on the management port. */
    private static void assertLockedDown(String what, Map<String, Object> pod, Map<String, Object> container) {
        assertThat(map(pod, "securityContext")).as(what).containsEntry("runAsNonRoot", true);
        assertThat(pod)
                .as(what + ": no service-account token (nothing here calls the Kubernetes API)")
                .containsEntry("automountServiceAccountToken", false);
        assertThat(map(container, "securityContext"))
                .as(what)
                .containsEntry("readOnlyRootFilesystem", true)
                .containsEntry("allowPrivilegeEscalation", false);
        String tmpVolume = list(container, "volumeMounts").stream()
                .map(DeploymentFilesTest::cast)
                .filter(mount -> "/tmp".equals(mount.get("mountPath")))
                .map(mount -> string(mount, "name"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(what + ": no /tmp mount"));
        assertThat(list(pod, "volumes").stream()
                        .map(DeploymentFilesTest::cast)
                        .filter(volume -> tmpVolume.equals(volume.get("name"))))
                .as(what + ": /tmp is an emptyDir")
                .singleElement()
                .satisfies(volume -> assertThat(volume).containsKey("emptyDir"));
        assertThat(list(container, "ports").stream().map(DeploymentFilesTest::cast))
                .anySatisfy(port -> assertThat(port)
                        .containsEntry("name", "management")
                        .containsEntry("containerPort", MANAGEMENT_PORT));
        for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
            assertThat(map(map(container, probe), "httpGet"))
                    .as(what + " " + probe)
                    .containsEntry("port", "management");
        }
    }

    // --- helpers --------------------------------------------------------------------------------------------------

    private static Map<String, Object> compose() throws IOException {
        return yaml(ROOT.resolve("docker-compose.yml")).getFirst();
    }

    private static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml().loadAll(Files.readString(file))) {
            if (document != null) {
                documents.add(cast(document));
            }
        }
        return documents;
    }

    private static Map<String, Object> only(Map<String, Map<String, Object>> byName, String kind, String prefix) {
        List<Map<String, Object>> found = byName.entrySet().stream()
                .filter(entry -> entry.getKey().startsWith(kind + "/" + prefix))
                .map(Map.Entry::getValue)
                .toList();
        assertThat(found).as(kind + " " + prefix + "*").hasSize(1);
        return found.getFirst();
    }

    private static Map<String, Object> pod(Map<String, Object> workload) {
        return map(map(map(workload, "spec"), "template"), "spec");
    }

    private static Map<String, Object> container(Map<String, Object> workload) {
        List<Object> containers = list(pod(workload), "containers");
        assertThat(containers).hasSize(1);
        return cast(containers.getFirst());
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> values = new HashMap<>();
        for (Object entry : list(container, "env")) {
            Map<String, Object> variable = cast(entry);
            if (variable.get("value") != null) {
                values.put(string(variable, "name"), String.valueOf(variable.get("value")));
            }
        }
        return values;
    }

    /** The Secrets a container reads, whole or by key. */
    private static List<String> secretsUsed(Map<String, Object> container) {
        List<String> names = new ArrayList<>();
        Object from = container.get("envFrom");
        if (from != null) {
            for (Object source : (List<?>) from) {
                Object secret = cast(source).get("secretRef");
                if (secret != null) {
                    names.add(string(cast(secret), "name"));
                }
            }
        }
        Object env = container.get("env");
        if (env != null) {
            for (Object entry : (List<?>) env) {
                Object valueFrom = cast(entry).get("valueFrom");
                if (valueFrom != null && cast(valueFrom).get("secretKeyRef") != null) {
                    names.add(string(cast(cast(valueFrom).get("secretKeyRef")), "name"));
                }
            }
        }
        return names.stream().distinct().toList();
    }

    private static String name(Map<String, Object> resource) {
        return string(map(resource, "metadata"), "name");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isNotNull();
        return cast(value);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertThat(value).as(key).isInstanceOf(List.class);
        return (List<Object>) value;
    }

    private static String string(Map<String, Object> parent, String key) {
        return Objects.toString(parent.get(key), null);
    }

    /** The files under k8s/ that are committed (all of them where this is no git checkout). */
    private static List<Path> k8sFiles() throws IOException {
        if (git()) {
            try {
                Result listed = run(ROOT, List.of("git", "ls-files", "-z", "k8s"));
                if (listed.exit() == 0) {
                    return Stream.of(listed.output().split("\0"))
                            .filter(name -> !name.isBlank())
                            .map(ROOT::resolve)
                            .toList();
                }
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        try (Stream<Path> walk = Files.walk(ROOT.resolve("k8s"))) {
            return walk.filter(Files::isRegularFile)
                    .filter(file -> !file.toString().endsWith(".env"))
                    .toList();
        }
    }

    private static boolean git() {
        return installed("git") && Files.exists(ROOT.resolve(".git"));
    }

    private static boolean installed(String command) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(":")).anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private record Result(int exit, String output) {}

    private static Result run(Path dir, List<String> command) throws Exception {
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(false)
                .start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as(String.join(" ", command))
                .isTrue();
        return new Result(
                process.exitValue(),
                new String(out, StandardCharsets.UTF_8)
                        + (process.exitValue() == 0 ? "" : new String(err, StandardCharsets.UTF_8)));
    }

    private static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
            dir = dir.getParent();
        }
        assertThat(dir)
                .as("the repository root, above " + Path.of("").toAbsolutePath())
                .isNotNull();
        return dir;
    }
}
