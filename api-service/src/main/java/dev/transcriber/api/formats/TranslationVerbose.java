package dev.transcriber.api.formats;

import dev.transcriber.common.transcript.Transcript;
import java.util.List;

/**
 * A translation's {@code response_format=verbose_json}: {@code language} is {@code english}, with the duration, the
 * text and the segments; no words and no usage, as OpenAI's translations have none.
 */
record TranslationVerbose(
        String task, String language, Double duration, String text, List<Transcript.Segment> segments) {

    static TranslationVerbose of(Transcript transcript) {
        return new TranslationVerbose(
                "translate", "english", transcript.duration(), transcript.text(), transcript.segments());
    }
}
