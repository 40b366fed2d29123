package dev.transcriber.standalone.support;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.i18n.MessageSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpResponse;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The API reference ({@code openapi.yaml}, the api's own file) as a check on real answers: an answer of the api or a
 * worker must match the schema the document gives for its path, method, status and content type (JSON bodies; each
 * line of {@code application/x-ndjson} against the media type's {@code x-line-schema}; each {@code data:} event of
 * {@code text/event-stream} against its {@code x-event-schema}; a media type range such as {@code audio/*} covers
 * the types of its kind). {@link ApiClient} checks every answer it gets, so
 * the flow tests' answers keep the document honest: an undocumented field, a wrong type, an unlisted success status
 * or an undocumented route fails the test that met it, naming the route, the status and the validator's errors.
 *
 * <p>Answers on routes the document does not list are left alone, except under {@code /v1/} and {@code /admin/}: there
 * an error must have the error shape, and a success fails (a route without documentation answered).
 */
public final class ApiReference {

    /** The document as the api serves it (api-service's {@code static/openapi.yaml}, on this module's classpath). */
    static final String DOCUMENT = "classpath:static/openapi.yaml";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int SHOWN_BODY = 600;

    private static volatile ApiReference loaded;

    private final String location;
    private final JsonNode document;
    private final SchemaRegistry registry;
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();

    ApiReference(String location) {
        this.location = location;
        String resource = location.substring("classpath:".length());
        try (InputStream in = ApiReference.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath");
            }
            this.document = YAMLMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.registry = SchemaRegistry.withDefaultDialect(
                Dialects.getOpenApi31(),
                registry -> registry.schemaRegistryConfig(SchemaRegistryConfig.builder()
                        .messageSource(ownMessages())
                        .build()));
    }

    /** The api's document, read once per JVM. */
    public static ApiReference api() {
        ApiReference reference = loaded;
        if (reference == null) {
            synchronized (ApiReference.class) {
                if (loaded == null) {
                    loaded = new ApiReference(DOCUMENT);
                }
                reference = loaded;
            }
        }
        return reference;
    }

    /** Checks an answer of the api or a worker; throws {@link AssertionError} when it does not match the document. */
    public static void check(HttpResponse<String> response) {
        api().check(
                        response.request().method(),
                        response.uri(),
                        response.statusCode(),
                        response.headers().firstValue("Content-Type").orElse(null),
                        response.body());
    }

    /** As {@link #check(HttpResponse)}, from the answer's parts. */
    public void check(String method, URI uri, int status, String contentType, String body) {
        List<String> problems = problems(method, uri.getRawPath(), status, contentType, body);
        if (!problems.isEmpty()) {
            throw new AssertionError(method + " " + uri.getRawPath() + " answered " + status
                    + ", which openapi.yaml does not describe:\n  - " + String.join("\n  - ", problems)
                    + "\n  body: " + shown(body));
        }
    }

    /** What is wrong with an answer, by the document; empty when it matches. */
    List<String> problems(String method, String path, int status, String contentType, String body) {
        String template = template(path);
        if (template == null) {
            if (!path.startsWith("/v1/") && !path.startsWith("/admin/")) {
                return List.of();
            }
            if (status < 400) {
                return List.of("no path of the document matches " + path + " (an undocumented route answered)");
            }
            return validateJson("/components/schemas/Error", contentType, body);
        }
        JsonNode operation = document.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        if (operation.isMissingNode()) {
            if (status < 400) {
                return List.of(
                        "the document has no " + method + " on " + template + " (an undocumented route answered)");
            }
            return validateJson("/components/schemas/Error", contentType, body);
        }
        String pointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT) + "/responses/";
        JsonNode responses = operation.path("responses");
        String listed = String.valueOf(status);
        if (!responses.has(listed)) {
            listed = status / 100 + "XX";
        }
        if (!responses.has(listed)) {
            if (status < 400 || !responses.has("default")) {
                return List.of(template + " " + method + " does not list status " + status);
            }
            listed = "default";
        }
        pointer += escape(listed);
        JsonNode answer = responses.path(listed);
        if (answer.has("$ref")) {
            pointer = answer.get("$ref").asString().substring(1);
            answer = document.at(pointer);
        }
        if (body == null || body.isEmpty()) {
            return List.of();
        }
        if (!answer.has("content")) {
            return List.of("status " + status + " of " + method + " " + template + " documents no body");
        }
        String media = documentedMediaType(answer.path("content"), mediaType(contentType));
        if (!answer.path("content").has(media)) {
            List<String> documented = new ArrayList<>();
            answer.path("content").propertyNames().forEach(documented::add);
            return List.of("content type " + contentType + " is not documented for status " + status + " (documented: "
                    + documented + ")");
        }
        String mediaPointer = pointer + "/content/" + escape(media);
        JsonNode mediaNode = answer.path("content").path(media);
        if (media.equals("application/json")) {
            return validate(mediaPointer + "/schema", parse(body));
        }
        if (mediaNode.has("x-line-schema")) {
            List<String> problems = new ArrayList<>();
            String[] lines = body.split("\n");
            for (int i = 0; i < lines.length && problems.isEmpty(); i++) {
                int number = i + 1;
                if (!lines[i].isBlank()) {
                    validate(mediaPointer + "/x-line-schema", parse(lines[i]))
                            .forEach(p -> problems.add("line " + number + ": " + p));
                }
            }
            return problems;
        }
        if (mediaNode.has("x-event-schema")) {
            List<String> problems = new ArrayList<>();
            for (String line : body.split("\n")) {
                if (line.startsWith("data:") && problems.isEmpty()) {
                    validate(mediaPointer + "/x-event-schema", parse(line.substring("data:".length())))
                            .forEach(p -> problems.add("event " + line.strip() + ": " + p));
                }
            }
            return problems;
        }
        return List.of();
    }

    /** The document's path template that matches {@code path}; of several, the one with the most literal segments. */
    String template(String path) {
        String[] segments = path.split("/", -1);
        String best = null;
        int bestLiterals = -1;
        for (String candidate : document.path("paths").propertyNames()) {
            String[] parts = candidate.split("/", -1);
            if (parts.length != segments.length) {
                continue;
            }
            int literals = 0;
            boolean matches = true;
            for (int i = 0; i < parts.length && matches; i++) {
                if (parts[i].startsWith("{") && parts[i].endsWith("}")) {
                    matches = !segments[i].isEmpty();
                } else {
                    matches = parts[i].equals(segments[i]);
                    literals++;
                }
            }
            if (matches && literals > bestLiterals) {
                best = candidate;
                bestLiterals = literals;
            }
        }
        return best;
    }

    private List<String> validateJson(String schemaPointer, String contentType, String body) {
        if (!"application/json".equals(mediaType(contentType))) {
            return List.of("an error answered " + contentType + ", not application/json");
        }
        return validate(schemaPointer, parse(body));
    }

    private List<String> validate(String pointer, JsonNode value) {
        if (value == null) {
            return List.of("the body is not JSON");
        }
        Schema schema = schemas.computeIfAbsent(
                pointer, p -> registry.getSchema(SchemaLocation.of(location + "#" + encodeFragment(p))));
        return schema.validate(value).stream().map(Error::toString).toList();
    }

    /**
     * The validator's messages from its own jar: WireMock's standalone jar carries an older copy of the same bundle,
     * whose placeholders are numbered differently, and may come first on the classpath.
     */
    private static MessageSource ownMessages() {
        Properties messages = new Properties();
        URL jar = Schema.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader only = new URLClassLoader(new URL[] {jar}, null);
                InputStream in = only.getResourceAsStream("jsv-messages.properties")) {
            messages.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return (key, fallback, locale, arguments) -> {
            String pattern = messages.getProperty(key);
            return pattern == null ? fallback.get() : new MessageFormat(pattern, Locale.ROOT).format(arguments);
        };
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            return null;
        }
    }

    /**
     * The key of {@code content} that describes {@code media}: the type itself, else the range of its kind
     * ({@code audio/*} for {@code audio/wav}), else the range of every type; the type itself when none is documented.
     */
    private static String documentedMediaType(JsonNode content, String media) {
        int slash = media.indexOf('/');
        for (String key : List.of(media, slash < 0 ? media : media.substring(0, slash) + "/*", "*/*")) {
            if (content.has(key)) {
                return key;
            }
        }
        return media;
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
                .trim()
                .toLowerCase(Locale.ROOT);
    }

    /** A JSON pointer token: {@code ~} and {@code /} escaped. */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** A JSON pointer as an IRI fragment (path templates' braces percent-encoded). */
    private static String encodeFragment(String pointer) {
        return pointer.replace("{", "%7B").replace("}", "%7D");
    }

    private static String shown(String body) {
        if (body == null) {
            return "(none)";
        }
        return body.length() <= SHOWN_BODY ? body : body.substring(0, SHOWN_BODY) + "... (" + body.length() + " chars)";
    }
}
