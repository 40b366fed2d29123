package dev.transcriber.standalone.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.json.JsonMapper;

/**
 * A fake OpenAI-compatible upstream that really listens to the audio it is sent: a real HTTP server on 127.0.0.1
 * that decodes the uploaded file, finds the tone bursts of {@link ToneSpeech} and names each by its pitch, with
 * timestamps measured to 10 ms. Asked for {@code verbose_json} it answers as whisper-1 does (segments split at
 * pauses, words, duration usage); asked for {@code diarized_json}, as gpt-4o-transcribe-diarize does (below);
 * otherwise as gpt-4o models do (text, token usage). Each call can be made to take {@code latencyPerAudioSecond} per
 * second of audio, as real upstreams do, plus a fixed {@code latencyPerCall}. {@code /v1/audio/translations}
 * "translates" each tone into its word in upper case, answering as OpenAI's translations do (no usage; segments but
 * no words), and keeps the fields each translation was sent.
 *
 * <p>Diarizing, it tells speakers apart by tone family ({@link ToneSpeech#family}): a segment is a run of one family's
 * words. Like OpenAI it labels speakers {@code A}, {@code B}, ... in order of appearance, unless
 * {@code known_speaker_references[]} are sent: it decodes each reference clip, hears its tone family, and labels that
 * family's segments with the name sent at the same index ({@code known_speaker_names[]}); voices that match no
 * reference are still lettered. The names each call was sent are kept ({@link #knownNamesPerCall}).
 */
public final class ToneRecognizer implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int RATE = 16_000;
    private static final int FRAME = RATE / 100;

    private final HttpServer server;
    private volatile double latencyPerAudioSecond;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger calls = new AtomicInteger();
    private final List<Map<String, String>> translations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Call> diarizeCalls = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile double latencyPerCall;

    /** A diarizing call as received: when (nanoTime), the audio's length, and the known speaker names sent. */
    public record Call(long startedNanos, long endedNanos, double duration, List<String> knownNames) {}

    private volatile int refusal;

    public ToneRecognizer(double latencyPerAudioSecond) throws IOException {
        this.latencyPerAudioSecond = latencyPerAudioSecond;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/audio/transcriptions", this::handle);
        server.createContext("/v1/audio/translations", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    public int calls() {
        return calls.get();
    }

    public void latencyPerAudioSecond(double seconds) {
        this.latencyPerAudioSecond = seconds;
    }

    /** A fixed delay added to every call, whatever its length (for measuring waves of calls). */
    public void latencyPerCall(double seconds) {
        this.latencyPerCall = seconds;
    }

    /** The diarizing calls so far, in the order they ended. */
    public List<Call> diarizeCalls() {
        synchronized (diarizeCalls) {
            return List.copyOf(diarizeCalls);
        }
    }

    /** Every call from now on is refused with {@code status} and an OpenAI-shaped error (0: answered again). */
    public void refuseWith(int status) {
        this.refusal = status;
    }

    public void reset() {
        refusal = 0;
        maxInFlight.set(0);
        calls.set(0);
        diarizeCalls.clear();
        translations.clear();
    }

    /** The text fields of each translation received (the file left out), in arrival order. */
    public List<Map<String, String>> translations() {
        return List.copyOf(translations);
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        calls.incrementAndGet();
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int refused = refusal;
            if (refused != 0) {
                byte[] error = "{\"error\":{\"message\":\"Maximum content size limit exceeded.\"}}"
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(refused, error.length);
                exchange.getResponseBody().write(error);
                return;
            }
            String boundary =
                    exchange.getRequestHeaders().getFirst("Content-Type").replaceFirst(".*boundary=", "");
            long started = System.nanoTime();
            Map<String, List<byte[]>> all = allParts(body, boundary);
            Map<String, byte[]> parts = new LinkedHashMap<>();
            all.forEach((name, values) -> parts.put(name, values.getFirst()));
            short[] pcm = decode(parts.get("file"));
            double duration = pcm.length / (double) RATE;
            double delay = duration * latencyPerAudioSecond + latencyPerCall;
            if (delay > 0) {
                Thread.sleep((long) (delay * 1000));
            }
            List<Map<String, Object>> words = recognise(pcm);
            String format = text(parts.get("response_format"));
            boolean verbose = "verbose_json".equals(format);
            byte[] answer;
            if (exchange.getRequestURI().getPath().endsWith("/translations")) {
                Map<String, String> fields = new LinkedHashMap<>();
                parts.forEach((name, value) -> {
                    if (!name.equals("file")) {
                        fields.put(name, text(value));
                    }
                });
                translations.add(fields);
                answer = JSON.writeValueAsBytes(translated(words, duration, verbose));
            } else if ("diarized_json".equals(format)) {
                List<String> names = texts(all.get("known_speaker_names[]"));
                List<String> references = texts(all.get("known_speaker_references[]"));
                Object reply = diarized(words, duration, speakerNames(names, references));
                diarizeCalls.add(new Call(started, System.nanoTime(), duration, names));
                answer = JSON.writeValueAsBytes(reply);
            } else {
                answer = JSON.writeValueAsBytes(verbose ? verbose(words, duration) : plain(words, duration));
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            e.printStackTrace(); // a bug in this fake: the call fails as a dropped connection
            throw e;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private static Map<String, Object> plain(List<Map<String, Object>> words, double duration) {
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("type", "tokens");
        long audio = Math.round(duration * 10);
        usage.put("input_tokens", audio);
        usage.put("output_tokens", words.size());
        usage.put("total_tokens", audio + words.size());
        usage.put("input_token_details", Map.of("audio_tokens", audio, "text_tokens", 0));
        return Map.of("text", join(words), "usage", usage);
    }

    /** The tone family each reference clip speaks in, mapped to the name sent with it. */
    private static Map<Integer, String> speakerNames(List<String> names, List<String> references)
            throws IOException, InterruptedException {
        Map<Integer, String> byFamily = new LinkedHashMap<>();
        for (int i = 0; i < Math.min(names.size(), references.size()); i++) {
            String reference = references.get(i);
            byte[] clip = java.util.Base64.getDecoder().decode(reference.substring(reference.indexOf(',') + 1));
            Map<Integer, Integer> heard = new java.util.HashMap<>();
            for (Map<String, Object> word : recognise(decode(clip))) {
                heard.merge(ToneSpeech.family((String) word.get("word")), 1, Integer::sum);
            }
            int family = heard.entrySet().stream()
                    .max(Map.Entry.comparingByValue())
                    .map(Map.Entry::getKey)
                    .orElse(-1);
            byFamily.putIfAbsent(family, names.get(i));
        }
        return byFamily;
    }

    /** OpenAI's {@code TranscriptionDiarized}: a segment per run of one speaker's words (or after a pause). */
    private static Map<String, Object> diarized(
            List<Map<String, Object>> words, double duration, Map<Integer, String> known) {
        Map<Integer, String> labels = new LinkedHashMap<>(known);
        int lettered = 0;
        List<Map<String, Object>> segments = new ArrayList<>();
        List<Map<String, Object>> current = new ArrayList<>();
        int currentFamily = -1;
        for (int i = 0; i <= words.size(); i++) {
            Map<String, Object> word = i < words.size() ? words.get(i) : null;
            int family = word == null ? -1 : ToneSpeech.family((String) word.get("word"));
            boolean breaks = word == null
                    || (!current.isEmpty()
                            && (family != currentFamily
                                    || (double) word.get("start")
                                                    - (double) current.getLast().get("end")
                                            > 0.5));
            if (breaks && !current.isEmpty()) {
                if (!labels.containsKey(currentFamily)) {
                    labels.put(currentFamily, String.valueOf((char) ('A' + lettered++)));
                }
                Map<String, Object> segment = new LinkedHashMap<>();
                segment.put("type", "transcript.text.segment");
                segment.put("id", "seg_" + segments.size());
                segment.put("start", current.getFirst().get("start"));
                segment.put("end", current.getLast().get("end"));
                segment.put("text", join(current));
                segment.put("speaker", labels.get(currentFamily));
                segments.add(segment);
                current = new ArrayList<>();
            }
            if (word != null) {
                current.add(word);
                currentFamily = family;
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task", "transcribe");
        body.put("duration", duration);
        body.put("text", join(words));
        body.put("segments", segments);
        body.put("usage", Map.of("type", "duration", "seconds", Math.ceil(duration)));
        return body;
    }

    private static List<String> texts(List<byte[]> parts) {
        return parts == null
                ? List.of()
                : parts.stream().map(ToneRecognizer::text).toList();
    }

    private static Map<String, Object> verbose(List<Map<String, Object>> words, double duration) {
        List<Map<String, Object>> segments = new ArrayList<>();
        List<Map<String, Object>> current = new ArrayList<>();
        for (Map<String, Object> word : words) {
            if (!current.isEmpty()
                    && (double) word.get("start") - (double) current.getLast().get("end") > 0.5) {
                segments.add(segment(segments.size(), current));
                current = new ArrayList<>();
            }
            current.add(word);
        }
        if (!current.isEmpty()) {
            segments.add(segment(segments.size(), current));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task", "transcribe");
        body.put("language", "english");
        body.put("duration", duration);
        body.put("text", join(words));
        body.put("segments", segments);
        body.put("words", words);
        body.put("usage", Map.of("type", "duration", "seconds", Math.ceil(duration)));
        return body;
    }

    /** Each word in upper case; verbose: OpenAI's translation shape (segments, no words, no usage). */
    private static Map<String, Object> translated(List<Map<String, Object>> words, double duration, boolean verbose) {
        List<Map<String, Object>> english = words.stream()
                .map(w -> {
                    Map<String, Object> word = new LinkedHashMap<>(w);
                    word.put("word", ((String) w.get("word")).toUpperCase(Locale.ROOT));
                    return word;
                })
                .toList();
        if (!verbose) {
            return Map.of("text", join(english));
        }
        Map<String, Object> body = verbose(english, duration);
        body.put("task", "translate");
        body.remove("words");
        body.remove("usage");
        return body;
    }

    private static Map<String, Object> segment(int id, List<Map<String, Object>> words) {
        Map<String, Object> segment = new LinkedHashMap<>();
        segment.put("id", id);
        segment.put("start", words.getFirst().get("start"));
        segment.put("end", words.getLast().get("end"));
        segment.put("text", " " + join(words));
        return segment;
    }

    private static String join(List<Map<String, Object>> words) {
        return String.join(" ", words.stream().map(w -> (String) w.get("word")).toList());
    }

    /** Tone bursts: runs of loud 10 ms frames, each named by its pitch (from zero crossings). */
    static List<Map<String, Object>> recognise(short[] pcm) {
        List<Map<String, Object>> words = new ArrayList<>();
        int frames = pcm.length / FRAME;
        int start = -1;
        for (int f = 0; f <= frames; f++) {
            boolean loud = f < frames && rms(pcm, f * FRAME, FRAME) > 2000;
            if (loud && start < 0) {
                start = f;
            } else if (!loud && start >= 0) {
                int from = start * FRAME;
                int to = f * FRAME;
                if (to - from >= 3 * FRAME) {
                    int crossings = 0;
                    for (int i = from + 1; i < to; i++) {
                        if ((pcm[i - 1] < 0) != (pcm[i] < 0)) {
                            crossings++;
                        }
                    }
                    double hz = crossings / 2.0 / ((to - from) / (double) RATE);
                    int index = (int) Math.round((hz - ToneSpeech.BASE_HZ) / ToneSpeech.STEP_HZ);
                    if (index >= 0 && index < ToneSpeech.VOCABULARY.size()) {
                        Map<String, Object> word = new LinkedHashMap<>();
                        word.put("word", ToneSpeech.VOCABULARY.get(index));
                        word.put("start", round(from / (double) RATE));
                        word.put("end", round(to / (double) RATE));
                        words.add(word);
                    }
                }
                start = -1;
            }
        }
        return words;
    }

    private static double rms(short[] pcm, int from, int length) {
        double sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += (double) pcm[i] * pcm[i];
        }
        return Math.sqrt(sum / length);
    }

    private static double round(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }

    /** 16 kHz mono samples of any audio ffmpeg reads. */
    private static short[] decode(byte[] audio) throws IOException, InterruptedException {
        Path in = Files.createTempFile("upstream", ".audio");
        Path out = Files.createTempFile("upstream", ".pcm");
        try {
            Files.write(in, audio);
            ToneSpeech.ffmpeg(
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    in.toString(),
                    "-ac",
                    "1",
                    "-ar",
                    String.valueOf(RATE),
                    "-f",
                    "s16le",
                    out.toString());
            byte[] bytes = Files.readAllBytes(out);
            short[] pcm = new short[bytes.length / 2];
            ByteBuffer.wrap(bytes)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asShortBuffer()
                    .get(pcm);
            return pcm;
        } finally {
            Files.deleteIfExists(in);
            Files.deleteIfExists(out);
        }
    }

    private static String text(byte[] part) {
        return part == null ? null : new String(part, StandardCharsets.UTF_8).trim();
    }

    /** The parts of a multipart body by field name (the file under {@code file}), every value of a repeated name. */
    private static Map<String, List<byte[]>> allParts(byte[] body, String boundary) {
        Map<String, List<byte[]>> parts = new LinkedHashMap<>();
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int headersStart = at + delimiter.length + 2;
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            if (headersEnd < 0) {
                break;
            }
            String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
            int next = indexOf(body, delimiter, headersEnd);
            if (next < 0) {
                break;
            }
            String name =
                    headers.replaceFirst("(?s).*?\\bname=\"([^\"]*)\".*", "$1").toLowerCase(Locale.ROOT);
            byte[] content = java.util.Arrays.copyOfRange(body, headersEnd + 4, next - 2);
            parts.computeIfAbsent(name, n -> new ArrayList<>()).add(content);
            at = next;
        }
        return parts;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
