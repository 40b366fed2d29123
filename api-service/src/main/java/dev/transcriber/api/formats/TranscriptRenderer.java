package dev.transcriber.api.formats;

import dev.transcriber.common.store.JobTask;
import dev.transcriber.common.transcript.ResponseFormat;
import dev.transcriber.common.transcript.TimestampGranularity;
import dev.transcriber.common.transcript.Transcript;
import java.util.List;
import java.util.Locale;
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
            case JSON -> jsonBody(Transcription.of(transcript));
            case TEXT -> new RenderedTranscript(transcript.text() + "\n", "text/plain; charset=utf-8");
            case SRT -> new RenderedTranscript(cues(transcript.segments(), false), "text/plain; charset=utf-8");
            case VTT -> new RenderedTranscript(cues(transcript.segments(), true), "text/vtt; charset=utf-8");
            case VERBOSE_JSON -> jsonBody(TranscriptionVerbose.of(transcript, granularities));
            case DIARIZED_JSON -> jsonBody(TranscriptionDiarized.of(transcript));
        };
    }

    private RenderedTranscript translation(Transcript transcript, ResponseFormat format) {
        if (format.needsTimestamps() && !transcript.hasTimestamps()) {
            throw new IllegalArgumentException("the translation has no timestamps to render " + format.wireName());
        }
        return switch (format) {
            case JSON -> jsonBody(new Translation(transcript.text()));
            case VERBOSE_JSON -> jsonBody(TranslationVerbose.of(transcript));
            default ->
                render(transcript, format, Set.of(TimestampGranularity.SEGMENT)); // text, srt, vtt: as transcripts
        };
    }

    private static final String JSON_TYPE = "application/json";

    private RenderedTranscript jsonBody(Object body) {
        return new RenderedTranscript(json.writeValueAsString(body), JSON_TYPE);
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
