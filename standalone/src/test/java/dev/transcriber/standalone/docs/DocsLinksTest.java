package dev.transcriber.standalone.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link and image in README.md and docs/*.md names a file that exists, and every {@code #anchor} names
 * a heading (or an explicit {@code <a id>}) of the page it points at, as GitHub makes anchors from headings. Links
 * with a scheme ({@code https:}, {@code mailto:}) are not followed; code blocks and code spans are not links.
 */
class DocsLinksTest {

    private static final Path ROOT = ConfigurationDocs.repositoryRoot();

    /** {@code [text](target)} and {@code ![alt](target "title")}; the text may hold code spans. */
    private static final Pattern MARKDOWN_LINK =
            Pattern.compile("!?\\[(?:[^\\]\\[]|\\[[^\\]]*])*]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");

    private static final Pattern HTML_LINK = Pattern.compile("<(?:a|img)\\s[^>]*?(?:href|src)=\"([^\"]+)\"");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s[^>]*?(?:id|name)=\"([^\"]+)\"");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    private final Map<Path, Set<String>> anchors = new HashMap<>();

    @Test
    void everyRelativeLinkAndImagePointsAtSomethingThatExists() throws IOException {
        List<Path> pages = pages();
        assertThat(pages).contains(ROOT.resolve("README.md"), ROOT.resolve("docs/configuration.md"));

        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages) {
            for (String target : links(page)) {
                if (SCHEME.matcher(target).find() || target.startsWith("//")) {
                    continue;
                }
                checked++;
                String problem = problem(page, target);
                if (problem != null) {
                    broken.add(ROOT.relativize(page) + ": (" + target + ") " + problem);
                }
            }
        }
        assertThat(checked).as("relative links found").isGreaterThan(20);
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void anchorsAreMadeAsGitHubMakesThem() {
        assertThat(slug("Accounts are the fleet's")).isEqualTo("accounts-are-the-fleets");
        assertThat(slug("API keys (admin)")).isEqualTo("api-keys-admin");
        assertThat(slug("Design decisions: how it stays correct")).isEqualTo("design-decisions-how-it-stays-correct");
        assertThat(slug("`transcriber.worker`")).isEqualTo("transcriberworker");
        assertThat(slug("Async jobs, uploads and webhooks")).isEqualTo("async-jobs-uploads-and-webhooks");
    }

    private String problem(Path page, String target) {
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        if (path.startsWith("/")) {
            return "names a path from the site's root, which a repository browser does not resolve";
        }
        Path file = path.isEmpty() ? page : page.getParent().resolve(path).normalize();
        if (!file.startsWith(ROOT)) {
            return "leaves the repository";
        }
        if (!Files.exists(file)) {
            return "no such file";
        }
        if (anchor != null && !anchor.isEmpty()) {
            if (!file.getFileName().toString().endsWith(".md")) {
                return "an anchor into a file that is not markdown";
            }
            if (!anchorsOf(file).contains(anchor)) {
                return "no heading makes the anchor #" + anchor + " in " + ROOT.relativize(file);
            }
        }
        return null;
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(ROOT.resolve("README.md"));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** The link targets of a page, outside fenced code blocks and code spans. */
    private static List<String> links(Path page) {
        List<String> targets = new ArrayList<>();
        for (String line : prose(page)) {
            String text = line.replaceAll("``[^`]*``|`[^`]*`", "code");
            for (Pattern pattern : List.of(MARKDOWN_LINK, HTML_LINK)) {
                Matcher m = pattern.matcher(text);
                while (m.find()) {
                    targets.add(m.group(1));
                }
            }
        }
        return targets;
    }

    private Set<String> anchorsOf(Path file) {
        return anchors.computeIfAbsent(file, f -> {
            Set<String> found = new LinkedHashSet<>();
            Map<String, Integer> seen = new HashMap<>();
            for (String line : prose(f)) {
                Matcher heading = HEADING.matcher(line);
                if (heading.matches()) {
                    String slug = slug(heading.group(1));
                    int n = seen.merge(slug, 1, Integer::sum) - 1;
                    found.add(n == 0 ? slug : slug + "-" + n);
                }
                Matcher html = HTML_ANCHOR.matcher(line);
                while (html.find()) {
                    found.add(html.group(1));
                }
            }
            return found;
        });
    }

    /** GitHub's anchor for a heading: lower case, formatting and punctuation dropped, spaces as hyphens. */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)]\\([^)]*\\)", "$1") // a link keeps its text
                .replaceAll("<[^>]+>", "")
                .replace("`", "")
                .toLowerCase(Locale.ROOT);
        return text.replaceAll("[^\\p{L}\\p{N}\\p{Mn}\\p{Pc} -]", "").replace(' ', '-');
    }

    /** The lines of a page outside fenced code blocks. */
    private static List<String> prose(Path page) {
        List<String> lines;
        try {
            lines = Files.readAllLines(page, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> prose = new ArrayList<>();
        String fence = null;
        for (String line : lines) {
            String trimmed = line.strip();
            if (fence == null && (trimmed.startsWith("```") || trimmed.startsWith("~~~"))) {
                fence = trimmed.substring(0, 3);
            } else if (fence != null && trimmed.startsWith(fence)) {
                fence = null;
            } else if (fence == null) {
                prose.add(line);
            }
        }
        return prose;
    }
}
