package dev.transcriber.api.formats;

import dev.transcriber.common.transcript.Transcript;

/**
 * One speaker's turn as OpenAI's {@code TranscriptionDiarizedSegment}: an id of the form {@code seg_N}, when, what,
 * and who ({@code A} when the segment names no speaker). Also the body of a {@code transcript.text.segment} event.
 */
public record DiarizedSegment(String type, String id, double start, double end, String text, String speaker) {

    public static DiarizedSegment of(Transcript.Segment segment) {
        return new DiarizedSegment(
                "transcript.text.segment",
                "seg_" + segment.id(),
                segment.start(),
                segment.end(),
                segment.text(),
                segment.speaker() == null ? "A" : segment.speaker());
    }
}
