package dev.transcriber.standalone.console;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.transcriber.standalone.support.ApiClient;
import dev.transcriber.standalone.support.Multipart;
import dev.transcriber.standalone.support.TestAudio;
import dev.transcriber.standalone.support.TestSystem;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import tools.jackson.databind.json.JsonMapper;

/**
 * The web console in a real Chromium (Debian's {@code chromium} and {@code chromedriver}, headless) against the whole
 * system and a fake upstream: a key holder submits a file from the page, watches its job finish, plays it while the
 * spoken word is highlighted, downloads its SRT and cancels a batch; the operator creates a key (its secret shown
 * once) and revokes it, and sees an account cooling on the overview after the upstream answered 429. Any error in the
 * browser's console fails the test; a screenshot of every page is written to {@code target/console-screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String UPSTREAM_PATH = "/v1/audio/transcriptions";
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(20);
    /** A batch's items: with the upstream taking 2 s a call, enough to keep it running while the page cancels it. */
    private static final int ITEMS = 30;

    /** What whisper-1 answers for the 3 s file: four words with their times. */
    private static final String VERBOSE = """
            {"task":"transcribe","language":"english","duration":3.0,"text":"one two three four",
             "segments":[{"id":0,"seek":0,"start":0.0,"end":2.7,"text":" one two three four","tokens":[],
                          "temperature":0.0,"avg_logprob":-0.1,"compression_ratio":1.0,"no_speech_prob":0.0}],
             "words":[{"word":"one","start":0.0,"end":0.6},{"word":"two","start":0.7,"end":1.3},
                      {"word":"three","start":1.4,"end":2.0},{"word":"four","start":2.1,"end":2.7}],
             "usage":{"type":"duration","seconds":3}}""";

    private static TestSystem system;
    private static WireMockServer upstream;
    private static ChromeDriver browser;
    private static Path downloads;
    private static Path profile;
    private static String base;
    private static ApiClient api;

    /** A failed test leaves a screenshot of where it stopped and the page's text. */
    @RegisterExtension
    final TestWatcher lastPage = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null) {
                screenshot("failed-" + context.getRequiredTestMethod().getName());
                System.out.println("page at failure (" + browser.getCurrentUrl() + "):\n"
                        + browser.findElement(By.tagName("body")).getText());
            }
        }
    };

    /** Browser console lines the current step expects (the sign-in's probe of the operator's route, as a key). */
    private final List<Predicate<LogEntry>> expected = new ArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        system = TestSystem.embedded();
        upstream = system.upstream();
        base = system.apiBaseUrl();
        api = new ApiClient(base);
        Files.createDirectories(SCREENSHOTS);
        try (Stream<Path> earlier = Files.list(SCREENSHOTS)) {
            for (Path png : earlier.toList()) {
                Files.delete(png); // this run's pages only
            }
        }
        downloads = Files.createTempDirectory("console-downloads");
        profile = Files.createTempDirectory("console-chromium");

        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments(
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1366,768",
                "--user-data-dir=" + profile);
        Map<String, Object> prefs = new HashMap<>();
        prefs.put("download.default_directory", downloads.toString());
        prefs.put("download.prompt_for_download", false);
        options.setExperimentalOption("prefs", prefs);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        system.resetUpstream();
        for (Path dir : List.of(downloads, profile)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .map(Path::toFile)
                        .forEach(File::delete);
            }
        }
    }

    @BeforeEach
    void freshUpstream() {
        system.resetUpstream();
        expected.clear();
    }

    @AfterEach
    void noErrorsInTheBrowserConsole() {
        assertNoBrowserErrors();
    }

    @Test
    @Order(1)
    void aKeyHolderSubmitsAFileWatchesItFinishPlaysItAndDownloadsItsSrt() throws IOException {
        upstream.stubFor(
                post(urlEqualTo(UPSTREAM_PATH)).willReturn(okJson(VERBOSE).withFixedDelay(1500)));
        Path file = Files.createTempFile("console-speech", ".wav");
        Files.write(file, TestAudio.toneWav(3.0));

        signIn(TestSystem.API_KEY, "01-sign-in");
        assertThat(menu()).containsExactly("Jobs", "Submit", "Batches", "Usage");
        open("#/submit");
        find(By.cssSelector("input[type=file]")).sendKeys(file.toAbsolutePath().toString());
        new Select(find(By.name("model"))).selectByValue("whisper-1");
        new Select(find(By.name("response_format"))).selectByValue("verbose_json");
        find(By.name("metadata")).sendKeys("episode=7");
        screenshot("02-submit");
        find(By.id("submit-job")).click();

        await().atMost(WAIT).until(() -> browser.getCurrentUrl().matches(".*#/jobs/[0-9a-f-]{36}"));
        String jobId = browser.getCurrentUrl().replaceAll(".*#/jobs/", "");
        String first = find(By.id("job-status")).getText().trim();
        assertThat(first).as("the job page shows the job before it ends").isIn("queued", "running");
        screenshot("03-job-running");
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.id("job-status")).equals("succeeded"));
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.id("transcript-text")).contains("one two three four"));
        assertThat(text(By.cssSelector("ol.timeline"))).contains("accepted").contains("succeeded");

        find(By.id("load-audio")).click();
        WebElement audio = find(By.id("job-audio"));
        await().atMost(WAIT).until(() -> number("return arguments[0].readyState", audio) >= 2);
        find(By.id("play-audio")).click();
        Set<String> highlighted = ConcurrentHashMap.newKeySet();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
            browser.findElements(By.cssSelector(".word.speaking")).forEach(word -> highlighted.add(word.getText()));
            return number("return arguments[0].currentTime", audio) > 0.8 && !highlighted.isEmpty();
        });
        assertThat(highlighted).as("words highlighted while it played").containsAnyOf("one", "two");
        screenshot("04-job-playing");

        find(By.cssSelector("button[data-download=srt]")).click();
        Path srt = downloads.resolve(jobId + ".srt");
        await().atMost(WAIT).until(() -> Files.exists(srt) && Files.size(srt) > 0);
        assertThat(Files.readString(srt))
                .isEqualToIgnoringNewLines("1\n00:00:00,000 --> 00:00:02,700\none two three four\n");
        Files.delete(file);

        open("#/jobs?metadata=episode%3D7");
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.cssSelector("table")).contains(jobId));
        screenshot("05-jobs");
        open("#/usage");
        find(By.cssSelector("#by-day"));
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> !browser.findElements(By.cssSelector("canvas")).isEmpty());
        screenshot("06-usage-key");
    }

    @Test
    @Order(2)
    void aKeyHolderCancelsABatchFromItsPage() throws Exception {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(okJson("{\"text\":\"slow item\"}").withFixedDelay(2000)));
        StringBuilder items = new StringBuilder();
        for (int i = 0; i < ITEMS; i++) {
            items.append(i == 0 ? "" : ",")
                    .append("{\"upload_id\":\"")
                    .append(api.upload(TestAudio.toneWav(0.5 + i * 0.01), TestSystem.API_KEY))
                    .append("\"}");
        }
        signIn(TestSystem.API_KEY, null);
        HttpResponse<String> submitted = api.send(api.request("/v1/transcription_batches")
                .header("Authorization", "Bearer " + TestSystem.API_KEY)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"whisper-1\",\"reuse\":false,\"items\":[" + items + "]}"))
                .build());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String batchId = JSON.readTree(submitted.body()).path("id").asString();

        open("#/batches/" + batchId);
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.id("batch-status")).equals("in progress"));
        assertThat(find(By.cssSelector("progress")).getDomAttribute("max")).isEqualTo(String.valueOf(ITEMS));
        screenshot("07-batch-running");
        find(By.id("cancel-batch")).click();
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.id("batch-status")).equals("cancelled"));
        int cancelled = Integer.parseInt(text(By.cssSelector("[data-count=cancelled] .value")));
        assertThat(cancelled).as("items cancelled before they ran").isGreaterThan(0);
        screenshot("08-batch-cancelled");

        find(By.id("download-results")).click();
        Path results = downloads.resolve(batchId + ".jsonl");
        await().atMost(WAIT).until(() -> Files.exists(results) && Files.size(results) > 0);
        assertThat(Files.readAllLines(results)).hasSize(ITEMS);
        open("#/batches");
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.cssSelector("table")).contains(batchId));
        screenshot("09-batches");
    }

    @Test
    @Order(3)
    void theOperatorCreatesAKeySeesItsSecretOnceAndRevokesIt() {
        signIn(TestSystem.ADMIN_TOKEN, "10-sign-in-operator");
        assertThat(menu()).containsExactly("Overview", "Jobs", "Batches", "Keys", "Usage", "Webhooks");
        find(By.id("held-sync"));
        screenshot("11-overview");

        open("#/keys");
        String name = "console-" + UUID.randomUUID().toString().substring(0, 8);
        find(By.name("name")).sendKeys(name);
        find(By.name("requests_per_minute")).sendKeys("120");
        find(By.id("create-key")).click();
        WebElement secret = find(By.id("new-key-secret"));
        String key = secret.getDomProperty("value");
        assertThat(key).startsWith("sk-");
        assertThat(find(By.id("copy-secret")).getText()).isEqualTo("Copy secret");
        assertThat(status("/v1/models", key)).as("the new key works").isEqualTo(200);
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.cssSelector("table")).contains(name));
        screenshot("12-keys-created");

        browser.navigate().refresh();
        await().atMost(WAIT)
                .ignoreExceptions()
                .until(() -> text(By.cssSelector("table")).contains(name));
        assertThat(browser.findElements(By.id("new-key-secret")))
                .as("the secret is shown once")
                .isEmpty();
        assertThat(browser.getPageSource()).doesNotContain(key);

        find(By.cssSelector("button[aria-label='Revoke " + name + "']")).click();
        find(By.cssSelector("button[aria-label='Yes, revoke " + name + "']")).click();
        await().atMost(WAIT).ignoreExceptions().until(() -> rowOf(name).contains("revoked"));
        await().atMost(WAIT).until(() -> status("/v1/models", key) == 401);
        screenshot("13-keys-revoked");

        open("#/usage");
        find(By.cssSelector("#by-model"));
        screenshot("14-usage-operator");
        open("#/webhooks");
        find(By.cssSelector("table"));
        screenshot("15-webhooks");
        open("#/jobs");
        find(By.cssSelector("table"));
        screenshot("16-jobs-operator");
    }

    @Test
    @Order(4)
    void theOperatorSeesAnAccountCoolingAfterTheUpstreamAnswered429AndCancelsAndDeletesTheWaitingJob() {
        upstream.stubFor(post(urlEqualTo(UPSTREAM_PATH))
                .willReturn(aResponse()
                        .withStatus(429)
                        .withHeader("Content-Type", "application/json")
                        .withHeader("Retry-After", "120")
                        .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\","
                                + "\"code\":\"rate_limit_exceeded\"}}")));
        HttpResponse<String> job = api.submitJob(
                new Multipart().field("model", "whisper-1").file("file", "a.wav", "audio/wav", TestAudio.toneWav(0.5)),
                TestSystem.API_KEY,
                null);
        assertThat(job.statusCode()).as(job.body()).isEqualTo(202);
        String jobId = JSON.readTree(job.body()).path("id").asString();
        try {
            signIn(TestSystem.ADMIN_TOKEN, null);
            await().atMost(WAIT).ignoreExceptions().until(() -> {
                find(By.xpath("//button[normalize-space()='Refresh']")).click();
                return text(By.cssSelector("[aria-labelledby=accounts] table")).contains("cooling");
            });
            String accounts = text(By.cssSelector("[aria-labelledby=accounts] table"));
            assertThat(accounts).contains("429").contains("rate_limited");
            screenshot("17-overview-cooling");

            open("#/jobs/" + jobId);
            assertThat(find(By.id("job-status")).getText()).isIn("queued", "running");
            screenshot("18-job-operator");
            find(By.id("cancel-job")).click();
            await().atMost(WAIT)
                    .ignoreExceptions()
                    .until(() -> text(By.id("job-status")).equals("cancelled"));
            find(By.id("delete-job")).click();
            find(By.id("confirm-delete")).click();
            await().atMost(WAIT)
                    .ignoreExceptions()
                    .until(() -> text(By.id("job-status")).equals("deleted"));
            assertThat(status("/v1/transcription_jobs/" + jobId + "/audio", TestSystem.API_KEY))
                    .as("the deleted job's audio")
                    .isEqualTo(404);
        } finally {
            api.send(api.request("/v1/transcription_jobs/" + jobId + "/cancel") // if the page did not
                    .header("Authorization", "Bearer " + TestSystem.API_KEY)
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build());
            system.resetUpstream();
        }
    }

    private void signIn(String token, String screenshot) {
        browser.get(base + "/console/");
        browser.executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        WebElement input = find(By.name("token"));
        if (screenshot != null) {
            screenshot(screenshot);
        }
        if (token.equals(TestSystem.ADMIN_TOKEN)) {
            input.sendKeys(token, Keys.ENTER); // the form works from the keyboard
        } else {
            input.sendKeys(token);
            find(By.xpath("//button[normalize-space()='Sign in']")).click();
        }
        find(By.id("sign-out"));
        if (!token.equals(TestSystem.ADMIN_TOKEN)) {
            // The console tells the two credentials apart by trying the operator's overview first.
            expected.add(entry -> entry.getMessage().contains("/admin/overview")
                    && entry.getMessage().contains("401"));
        }
    }

    private static void open(String hash) {
        browser.get(base + "/console/" + hash);
    }

    private static List<String> menu() {
        return find(By.id("nav")).findElements(By.tagName("a")).stream()
                .map(WebElement::getText)
                .toList();
    }

    private static String rowOf(String text) {
        return find(By.xpath("//tr[td[normalize-space()='" + text + "']]")).getText();
    }

    private static WebElement find(By by) {
        return await().atMost(WAIT).ignoreExceptions().until(() -> browser.findElement(by), e -> e != null);
    }

    private static String text(By by) {
        return browser.findElement(by).getText().trim();
    }

    private static double number(String script, WebElement element) {
        return ((Number) browser.executeScript(script, element)).doubleValue();
    }

    private static void screenshot(String name) {
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void assertNoBrowserErrors() {
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .filter(entry -> expected.stream().noneMatch(e -> e.test(entry)))
                .map(LogEntry::getMessage)
                .toList();
        assertThat(errors).as("errors in the browser's console").isEmpty();
    }

    private static int status(String path, String key) {
        return api.send(api.request(path)
                        .header("Authorization", "Bearer " + key)
                        .GET()
                        .build())
                .statusCode();
    }
}
