package dev.transcriber.standalone.docs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Renders docs/configuration.md from what the build knows about the settings: the configuration metadata the Spring
 * Boot configuration processor writes for each module ({@code META-INF/spring-configuration-metadata.json}: the
 * {@code @ConfigurationProperties} records, their defaults and the javadoc of their components, plus each module's
 * {@code additional-spring-configuration-metadata.json} for settings read with {@code @Value}), and the services' yml
 * files, which name the environment variable of a setting ({@code ${TRANSCRIBER_X:default}}) and give its default
 * where the metadata has none. Settings of Spring Boot and the libraries appear where a yml file maps them to an
 * environment variable, described by the yml's comment or else by Boot's own metadata.
 *
 * <p>{@code ConfigurationDocsTest} fails when the file differs from what this renders; {@code main} (or
 * {@code ./scripts/config-docs.sh}) writes it.
 */
public final class ConfigurationDocs {

    static final String PATH = "docs/configuration.md";
    static final String REGENERATE = "./scripts/config-docs.sh";

    /** The modules whose settings are documented, in the order of the document, and where each one runs. */
    private static final Map<String, String> MODULES = orderedMap(
            "common", "Both services",
            "api-service", "api-service",
            "worker-service", "worker-service");

    /** The yml files of the services, and which service reads each. */
    private static final Map<String, String> YML_FILES = orderedMap(
            "transcriber-common.yml", "both",
            "api.yml", "api-service",
            "worker.yml", "worker-service");

    private static final String GENERATED = "META-INF/spring-configuration-metadata.json";
    private static final String ADDITIONAL = "META-INF/additional-spring-configuration-metadata.json";

    private static final Pattern MODULE_IN_URL =
            Pattern.compile("/(common|api-service|worker-service)(?:/target/classes/|-[0-9][^/]*\\.jar!/)");
    private static final Pattern ENV_PLACEHOLDER = Pattern.compile("^\\$\\{([A-Z][A-Z0-9_]*):(.*)}$");
    private static final Pattern YML_LINE = Pattern.compile("^( *)(\"[^\"]+\"|[A-Za-z0-9_.\\[\\]-]+):(?: +(.*))?$");

    private ConfigurationDocs() {}

    public static void main(String[] args) throws IOException {
        Path root = args.length > 0 ? Path.of(args[0]) : repositoryRoot();
        Files.writeString(root.resolve(PATH), render(), StandardCharsets.UTF_8);
        System.out.println("wrote " + root.resolve(PATH));
    }

    /** The document, from the metadata and yml files on the class path. */
    static String render() {
        Map<String, Map<String, Property>> byModule = projectProperties();
        byModule.forEach((module, properties) -> {
            if (properties.isEmpty()) {
                throw new IllegalStateException(module + " has no configuration metadata on the class path: is"
                        + " spring-boot-configuration-processor run when it compiles?");
            }
        });
        Map<String, Property> libraries = libraryMetadata();
        List<YmlSetting> yml = ymlSettings();

        Map<String, YmlSetting> ymlByName = new LinkedHashMap<>();
        for (YmlSetting setting : yml) {
            ymlByName.putIfAbsent(setting.name(), setting);
        }

        StringBuilder out = new StringBuilder();
        out.append("# Configuration\n\n");
        out.append("<!-- Generated from the @ConfigurationProperties metadata and the services' yml files by\n")
                .append("     ConfigurationDocs (standalone's tests); do not edit by hand. Regenerate with ")
                .append(REGENERATE)
                .append(". -->\n\n");
        out.append("""
                Every setting of the gateway, with its default. A setting can be given as the environment variable
                the table names, or in Spring's relaxed form: an environment variable in capitals with `_` for `.`
                and `-` left out or written `_` (`transcriber.worker.max-in-flight-async` is
                `TRANSCRIBER_WORKER_MAXINFLIGHTASYNC`), an argument (`./run.sh --transcriber.worker.lease=5m`), or a
                YAML file named by `SPRING_CONFIG_ADDITIONAL_LOCATION` (as the upstream accounts are). Durations are
                written `500ms`, `30s`, `5m`, `2h`, `7d`; sizes `8MB`, `1GB`. Local mode's own variables (ports,
                `TRANSCRIBER_HOME`) are in [operations.md](operations.md#local-mode), tracing and the log format in
                [operations.md](operations.md#tracing-and-logs).

                """);
        out.append("- ").append("[Both services](#both-services)\n");
        out.append("- ").append("[api-service](#api-service)\n");
        out.append("- ").append("[worker-service](#worker-service)\n");
        out.append("- ").append("[Spring Boot and library settings](#spring-boot-and-library-settings)\n\n");

        for (Map.Entry<String, String> module : MODULES.entrySet()) {
            Map<String, Property> properties = byModule.getOrDefault(module.getKey(), Map.of());
            out.append("## ").append(module.getValue()).append("\n\n");
            out.append("From `").append(module.getKey()).append("`.\n\n");
            Map<String, List<Property>> groups = properties.values().stream()
                    .collect(Collectors.groupingBy(p -> group(p.name()), TreeMap::new, Collectors.toList()));
            for (Map.Entry<String, List<Property>> group : groups.entrySet()) {
                out.append("### `").append(group.getKey()).append("`\n\n");
                out.append("| property | type | default | environment | description |\n");
                out.append("|---|---|---|---|---|\n");
                for (Property property : group.getValue()) {
                    YmlSetting setting = ymlByName.get(property.name());
                    String defaultValue = setting != null ? setting.defaultValue() : property.defaultValue();
                    out.append("| `")
                            .append(property.name())
                            .append("` | ")
                            .append('`')
                            .append(simpleType(property.type()))
                            .append('`')
                            .append(" | ")
                            .append(defaultCell(defaultValue))
                            .append(" | ")
                            .append(setting != null ? "`" + setting.env() + "`" : "")
                            .append(" | ")
                            .append(cell(description(property.description(), setting)))
                            .append(" |\n");
                }
                out.append("\n");
            }
        }

        out.append("## Spring Boot and library settings\n\n");
        out.append("""
                The settings of Spring Boot, Tomcat, Hikari, Kafka and Micrometer that the yml files map to an
                environment variable. Any other Spring Boot property can be set the same way.

                """);
        out.append("| property | service | default | environment | description |\n");
        out.append("|---|---|---|---|---|\n");
        for (YmlSetting setting : yml) {
            if (isProjectProperty(byModule, setting.name())) {
                continue;
            }
            Property boot = libraries.get(setting.name());
            String description = !setting.comment().isEmpty()
                    ? setting.comment()
                    : boot != null && boot.description() != null ? boot.description() : "";
            out.append("| `")
                    .append(setting.name())
                    .append("` | ")
                    .append(setting.service())
                    .append(" | ")
                    .append(defaultCell(setting.defaultValue()))
                    .append(" | `")
                    .append(setting.env())
                    .append("` | ")
                    .append(cell(javadocToMarkdown(description)))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** The {@code transcriber.*} properties of each module, by name, from the metadata files on the class path. */
    static Map<String, Map<String, Property>> projectProperties() {
        Map<String, Map<String, Property>> byModule = new LinkedHashMap<>();
        MODULES.keySet().forEach(m -> byModule.put(m, new TreeMap<>()));
        for (URL url : metadataFiles(GENERATED)) {
            Matcher module = MODULE_IN_URL.matcher(url.toString());
            if (!module.find()) {
                continue;
            }
            for (Property property : read(url)) {
                if (property.name().startsWith("transcriber.")) {
                    byModule.get(module.group(1)).merge(property.name(), property, Property::orElse);
                }
            }
        }
        // The processor merges each module's additional metadata into what it generates, but only when it runs: a
        // build that finds no Java source changed keeps the old merge. The additional file itself is current.
        for (URL url : metadataFiles(ADDITIONAL)) {
            Matcher module = MODULE_IN_URL.matcher(url.toString());
            if (!module.find()) {
                continue;
            }
            for (Property property : read(url)) {
                byModule.get(module.group(1))
                        .merge(property.name(), property, (generated, added) -> added.orElse(generated));
            }
        }
        // A setting two modules describe is documented once, in the first (common before the services).
        Map<String, Property> seen = new LinkedHashMap<>();
        for (Map<String, Property> properties : byModule.values()) {
            for (Property property : List.copyOf(properties.values())) {
                Property first = seen.putIfAbsent(property.name(), property);
                if (first != null) {
                    properties.remove(property.name());
                }
            }
        }
        return byModule;
    }

    private static boolean isProjectProperty(Map<String, Map<String, Property>> byModule, String name) {
        return byModule.values().stream().anyMatch(m -> m.containsKey(name));
    }

    /** Every property of every metadata file on the class path (Spring Boot's included), by name. */
    private static Map<String, Property> libraryMetadata() {
        Map<String, Property> all = new TreeMap<>();
        for (URL url : metadataFiles(GENERATED)) {
            for (Property property : read(url)) {
                all.merge(property.name(), property, Property::orElse);
            }
        }
        return all;
    }

    private static List<URL> metadataFiles(String name) {
        try {
            return Collections.list(ConfigurationDocs.class.getClassLoader().getResources(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Property> read(URL url) {
        try (InputStream in = url.openStream()) {
            JsonNode root = JsonMapper.builder().build().readTree(in);
            List<Property> properties = new ArrayList<>();
            for (JsonNode node : root.path("properties")) {
                if (node.has("deprecation")
                        && node.path("deprecation").path("level").asString("").equals("error")) {
                    continue;
                }
                properties.add(new Property(
                        node.path("name").asString(),
                        node.path("type").asString(""),
                        node.hasNonNull("description")
                                ? node.path("description").asString()
                                : null,
                        node.has("defaultValue") ? defaultText(node.path("defaultValue")) : null));
            }
            return properties;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String defaultText(JsonNode value) {
        if (value.isArray()) {
            List<String> items = new ArrayList<>();
            value.forEach(item -> items.add(item.asString()));
            return String.join(", ", items);
        }
        return value.asString();
    }

    /** The settings the yml files give an environment variable, in file order. */
    static List<YmlSetting> ymlSettings() {
        List<YmlSetting> settings = new ArrayList<>();
        for (Map.Entry<String, String> file : YML_FILES.entrySet()) {
            String text;
            try (InputStream in = ConfigurationDocs.class.getClassLoader().getResourceAsStream(file.getKey())) {
                Objects.requireNonNull(in, () -> file.getKey() + " is not on the class path");
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            parseYml(text, file.getValue(), settings);
        }
        // A setting both services map the same way (the admin token) is one row.
        Map<String, YmlSetting> merged = new LinkedHashMap<>();
        for (YmlSetting setting : settings) {
            merged.merge(setting.name() + "\u0000" + setting.env(), setting, YmlSetting::withOtherService);
        }
        return List.copyOf(merged.values());
    }

    /**
     * A small reader of the yml files' block mappings, enough for ours (no lists, no flow style): each key's path,
     * and the comment lines right above it.
     */
    private static void parseYml(String text, String service, List<YmlSetting> into) {
        List<int[]> indents = new ArrayList<>();
        List<String> path = new ArrayList<>();
        List<String> comment = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                comment.clear();
                continue;
            }
            if (trimmed.startsWith("#")) {
                comment.add(trimmed.replaceFirst("^#+ ?", ""));
                continue;
            }
            Matcher m = YML_LINE.matcher(line.stripTrailing());
            if (!m.matches()) {
                throw new IllegalStateException("a yml line this reader does not understand: " + line);
            }
            int indent = m.group(1).length();
            while (!indents.isEmpty() && indents.getLast()[0] >= indent) {
                indents.removeLast();
                path.removeLast();
            }
            String key = m.group(2).replace("\"", "");
            String value = m.group(3) == null ? "" : m.group(3).strip();
            if (value.isEmpty()) {
                indents.add(new int[] {indent});
                path.add(key);
            } else {
                String name = String.join(".", path) + (key.startsWith("[") || path.isEmpty() ? "" : ".") + key;
                Matcher placeholder = ENV_PLACEHOLDER.matcher(unquote(value));
                if (placeholder.matches()) {
                    into.add(new YmlSetting(
                            name, service, placeholder.group(1), placeholder.group(2), String.join(" ", comment)));
                }
            }
            comment.clear();
        }
    }

    private static String unquote(String value) {
        if (value.length() >= 2
                && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** {@code transcriber.worker.queue.sweep-interval} is in group {@code transcriber.worker}. */
    private static String group(String name) {
        String[] parts = name.split("\\.");
        return parts.length > 2 ? parts[0] + "." + parts[1] : name;
    }

    private static String description(String fromMetadata, YmlSetting setting) {
        if (fromMetadata != null && !fromMetadata.isBlank()) {
            return javadocToMarkdown(fromMetadata);
        }
        return setting != null ? javadocToMarkdown(setting.comment()) : "";
    }

    static String javadocToMarkdown(String text) {
        return text.replaceAll("\\{@(?:code|link|linkplain|literal) ([^}]*)}", "`$1`")
                .replaceAll("\\s+", " ")
                .strip();
    }

    private static String simpleType(String type) {
        return type.replaceAll("[a-z][a-z0-9_]*\\.", "").replaceAll("[A-Za-z0-9_]+\\$", "");
    }

    private static String defaultCell(String value) {
        if (value == null) {
            return "";
        }
        return value.isEmpty() ? "(empty)" : "`" + value + "`";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(
                    "no repository root above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }

    /** One property as the metadata describes it. */
    record Property(String name, String type, String description, String defaultValue) {

        /** This one, its gaps filled from {@code other} (the same property, described elsewhere). */
        Property orElse(Property other) {
            return new Property(
                    name,
                    type.isEmpty() ? other.type : type,
                    description != null ? description : other.description,
                    defaultValue != null ? defaultValue : other.defaultValue);
        }
    }

    /** A setting a yml file maps to an environment variable. */
    record YmlSetting(String name, String service, String env, String defaultValue, String comment) {

        YmlSetting withOtherService(YmlSetting other) {
            return new YmlSetting(
                    name,
                    service.equals(other.service) ? service : "both",
                    env,
                    defaultValue,
                    comment.isEmpty() ? other.comment : comment);
        }
    }
}
