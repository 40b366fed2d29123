package dev.transcriber.standalone.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of {@code /actuator/prometheus}, read as Prometheus reads the text format: a sample per line, with its
 * name, labels and value ({@code # HELP} and {@code # TYPE} lines skipped).
 */
public record PrometheusScrape(String text, List<Sample> samples) {

    private static final Pattern LINE =
            Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** One sample: {@code name{labels} value}. */
    public record Sample(String name, Map<String, String> labels, double value) {

        /** True when every pair of {@code labels} ({@code name, value, name, value, ...}) is on this sample. */
        public boolean has(String... labels) {
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(this.labels.get(labels[i]))) {
                    return false;
                }
            }
            return true;
        }
    }

    /** {@code GET baseUrl/actuator/prometheus} with the admin token; fails unless it answers 200. */
    public static PrometheusScrape of(String baseUrl, String adminToken) {
        HttpResponse<String> response = get(baseUrl, adminToken);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("scrape of " + baseUrl + " answered " + response.statusCode());
        }
        return parse(response.body());
    }

    /** The raw answer of the scrape endpoint, with {@code bearer} as the credential if not null. */
    public static HttpResponse<String> get(String baseUrl, String bearer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(10))
                .GET();
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static PrometheusScrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = LINE.matcher(line.strip());
            if (!sample.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            samples.add(new Sample(sample.group(1), labels, value(sample.group(3))));
        }
        return new PrometheusScrape(text, List.copyOf(samples));
    }

    /** Every sample name (histograms as their {@code _bucket}, {@code _count}, {@code _sum} series). */
    public Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /** The samples of {@code name} that carry every pair of {@code labels}. */
    public List<Sample> find(String name, String... labels) {
        return samples.stream()
                .filter(s -> s.name().equals(name) && s.has(labels))
                .toList();
    }

    /** The sum of the samples {@link #find} gives (0 when there is none). */
    public double sum(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(Sample::value).sum();
    }

    private static double value(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }
}
