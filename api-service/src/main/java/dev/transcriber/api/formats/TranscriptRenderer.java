package dev.transcriber.api.formats;

import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.Transcript;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** Renders a {@link Transcript} the way OpenAI shapes each {@code response_format}. */
@Component
public final class TranscriptRenderer {

    private final JsonMapper json;

    public TranscriptRenderer(JsonMapper json) {
        this.json = json;
    }

    public RenderedTranscript render(
            Transcript transcript, ResponseFormat format, Set<TimestampGranularity> granularities) {
        return render(transcript, format, granularities, JobTask.TRANSCRIBE);
    }

    /**
     * As OpenAI shapes the answer of {@code task}. A translation's {@code json} is {@code text} alone and its
     * {@code verbose_json} has {@code language: english}, the duration, the text and the segments: no words and no
     * usage, as OpenAI's translations have none (the usage is still recorded in the ledger).
     */
    public RenderedTranscript render(
            Transcript transcript, ResponseFormat format, Set<TimestampGranularity> granularities, JobTask task) {
        if (task == JobTask.TRANSLATE) {
            return translation(transcript, format);
        }
        if (format.needsTimestamps() && !transcript.hasTimestamps()) {
            throw new IllegalArgumentException("the transcript has no timestamps to render " + format.wireName());
        }
        return switch (format) {
            case JSON -> new RenderedTranscript(jsonBody(transcript), "application/json");
            case TEXT -> new RenderedTranscript(transcript.text() + "\n", "text/plain; charset=utf-8");
            case SRT -> new RenderedTranscript(cues(transcript.segments(), false), "text/plain; charset=utf-8");
            case VTT -> new RenderedTranscript(cues(transcript.segments(), true), "text/vtt; charset=utf-8");
            case VERBOSE_JSON -> new RenderedTranscript(verboseBody(transcript, granularities), "application/json");
            case DIARIZED_JSON -> new RenderedTranscript(diarizedBody(transcript), "application/json");
        };
    }

    private RenderedTranscript translation(Transcript transcript, ResponseFormat format) {
        if (format.needsTimestamps() && !transcript.hasTimestamps()) {
            throw new IllegalArgumentException("the translation has no timestamps to render " + format.wireName());
        }
        return switch (format) {
            case JSON -> new RenderedTranscript(json.writeValueAsString(Map.of("text", transcript.text())), JSON_TYPE);
            case VERBOSE_JSON -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("task", JobTask.TRANSLATE.wireName());
                body.put("language", "english");
                body.put("duration", transcript.duration());
                body.put("text", transcript.text());
                body.put("segments", transcript.segments());
                yield new RenderedTranscript(json.writeValueAsString(body), JSON_TYPE);
            }
            default ->
                render(transcript, format, Set.of(TimestampGranularity.SEGMENT)); // text, srt, vtt: as transcripts
        };
    }

    private static final String JSON_TYPE = "application/json";

    private String jsonBody(Transcript transcript) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", transcript.text());
        if (transcript.logprobs() != null) {
            body.put("logprobs", transcript.logprobs()); // only jobs that asked (include[]=logprobs) have them
        }
        if (transcript.usage() != null) {
            body.put("usage", transcript.usage());
        }
        return json.writeValueAsString(body);
    }

    private String verboseBody(Transcript transcript, Set<TimestampGranularity> granularities) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task", "transcribe");
        body.put("language", transcript.language());
        body.put("duration", transcript.duration());
        body.put("text", transcript.text());
        if (granularities.contains(TimestampGranularity.SEGMENT)) {
            body.put("segments", transcript.segments());
        }
        if (granularities.contains(TimestampGranularity.WORD)) {
            body.put("words", transcript.words() == null ? List.of() : transcript.words());
        }
        if (transcript.usage() != null) {
            body.put("usage", transcript.usage());
        }
        return json.writeValueAsString(body);
    }

    /**
     * OpenAI's {@code TranscriptionDiarized}: the text, and segments each with its speaker's label and an id of the
     * form {@code seg_N}.
     */
    private String diarizedBody(Transcript transcript) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task", "transcribe");
        body.put("duration", transcript.duration());
        body.put("text", transcript.text());
        body.put("segments", diarizedSegments(transcript.segments()));
        if (transcript.usage() != null) {
            body.put("usage", transcript.usage());
        }
        return json.writeValueAsString(body);
    }

    /** Each segment as OpenAI's {@code TranscriptionDiarizedSegment} (also the body of a {@code transcript.text.segment} event). */
    public static List<Map<String, Object>> diarizedSegments(List<Transcript.Segment> segments) {
        return segments.stream().map(TranscriptRenderer::diarizedSegment).toList();
    }

    public static Map<String, Object> diarizedSegment(Transcript.Segment segment) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("type", "transcript.text.segment");
        out.put("id", "seg_" + segment.id());
        out.put("start", segment.start());
        out.put("end", segment.end());
        out.put("text", segment.text());
        out.put("speaker", segment.speaker() == null ? "A" : segment.speaker());
        return out;
    }

    /** SubRip ({@code 00:00:01,500}, numbered cues) or WebVTT ({@code 00:00:01.500}, a header). */
    private static String cues(List<Transcript.Segment> segments, boolean vtt) {
        StringBuilder out = new StringBuilder(vtt ? "WEBVTT\n\n" : "");
        int number = 1;
        for (Transcript.Segment segment : segments) {
            if (!vtt) {
                out.append(number++).append('\n');
            }
            out.append(timestamp(segment.start(), vtt ? '.' : ','))
                    .append(" --> ")
                    .append(timestamp(segment.end(), vtt ? '.' : ','))
                    .append('\n')
                    .append(segment.text().strip())
                    .append("\n\n");
        }
        return out.toString();
    }

    static String timestamp(double seconds, char millisSeparator) {
        long millis = Math.round(Math.max(0, seconds) * 1000);
        return String.format(
                Locale.ROOT,
                "%02d:%02d:%02d%c%03d",
                millis / 3_600_000,
                millis / 60_000 % 60,
                millis / 1000 % 60,
                millisSeparator,
                millis % 1000);
    }
}
