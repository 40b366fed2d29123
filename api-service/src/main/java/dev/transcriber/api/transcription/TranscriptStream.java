package dev.transcriber.api.transcription;

import dev.transcriber.api.errors.ApiException;
import dev.transcriber.api.errors.OpenAiError;
import dev.transcriber.api.formats.DiarizedSegment;
import dev.transcriber.common.events.JobId;
import dev.transcriber.common.store.JobRepository;
import dev.transcriber.common.store.JobState;
import dev.transcriber.common.store.TranscriptionJob;
import dev.transcriber.common.transcript.Logprob;
import dev.transcriber.common.transcript.Logprobs;
import dev.transcriber.common.transcript.Transcript;
import dev.transcriber.common.transcript.TranscriptCodec;
import dev.transcriber.common.transcript.TranscriptMerger;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.json.JsonMapper;

/**
 * One {@code stream=true} answer, as OpenAI sends it: {@code transcript.text.delta} events as the pieces of the
 * audio finish, in order, then {@code transcript.text.done} with the whole text and the usage. With
 * {@code response_format=diarized_json} the events are {@code transcript.text.segment} instead (who spoke, when, what:
 * each segment once it can no longer change), then the done event. Each time it is moved
 * on (a piece finished, the job ended, or the poller's tick) it reads the job's pieces and sends the text that can no
 * longer change; the deltas add up to the final text. A job that asked for {@code include[]=logprobs} gets, on each
 * delta, the tokens of that delta's words (placed by {@link Logprobs#wordIndices}), and on the done event all of them.
 */
final class TranscriptStream {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TranscriptStream.class);

    private final JobId jobId;
    private final SseEmitter emitter;
    private final JobRepository jobs;
    private final TranscriptCodec codec;
    private final JsonMapper json;
    private static final int WORDS_PER_DELTA = 20;

    private final ReentrantLock lock = new ReentrantLock();
    private String sent = "";
    private int sentTokens;
    private int segmentsSent;
    private boolean closed;

    TranscriptStream(JobId jobId, SseEmitter emitter, JobRepository jobs, TranscriptCodec codec, JsonMapper json) {
        this.jobId = jobId;
        this.emitter = emitter;
        this.jobs = jobs;
        this.codec = codec;
        this.json = json;
    }

    /** Sends what is new; ends the stream once the job has ended. */
    void moveOn() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            TranscriptionJob job = jobs.findById(jobId.value()).orElseThrow();
            if (job.isDeleted()) {
                fail(ApiException.transcriptDeleted(jobId));
                return;
            }
            switch (job.state()) {
                case SUCCEEDED -> {
                    if (job.transcriptJson() == null) { // retention removed it before this request asked again
                        fail(ApiException.transcriptExpired(jobId));
                    } else {
                        finish(codec.read(job.transcriptJson()), diarized(job));
                    }
                }
                case FAILED ->
                    fail(ApiException.jobFailed(job.failureCode(), job.failureMessage(), job.failureResetsAt()));
                case CANCELLED -> fail(ApiException.invalidRequest("The job was cancelled.", null));
                case HELD, QUEUED, RUNNING, AWAITING_PIECES -> {
                    if (diarized(job)) {
                        sendSettledSegments(job);
                    } else {
                        sendSettled(job);
                    }
                }
            }
        } catch (IOException | IllegalStateException e) {
            closed = true; // the caller went away; the job goes on and can be fetched by its id
        } catch (RuntimeException e) {
            // a failure of ours (the database, say): the caller hears of it now rather than at the stream's timeout,
            // and the job goes on and can be fetched by its id
            log.warn("stream of job {} ended by an error: {}", jobId, e.toString());
            try {
                fail(ApiException.internal());
            } catch (IOException | IllegalStateException gone) {
                closed = true;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The stream ran out of time; the job goes on and can be fetched by its id. */
    void timeOut(ApiException error) {
        lock.lock();
        try {
            if (!closed) {
                fail(error);
            }
        } catch (IOException | IllegalStateException e) {
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    private static boolean diarized(TranscriptionJob job) {
        return job.spec().asksForSpeakers();
    }

    private void sendSettled(TranscriptionJob job) throws IOException {
        List<TranscriptMerger.Piece> done = finishedPieces();
        if (!done.isEmpty()) {
            Transcript settled = TranscriptMerger.settled(done, job.piecesTotal());
            delta(settled.text(), settled.logprobs());
        }
    }

    /** The unbroken run of finished pieces from the first: what later pieces can change least. */
    private List<TranscriptMerger.Piece> finishedPieces() {
        List<TranscriptMerger.Piece> done = new ArrayList<>();
        for (TranscriptionJob piece : jobs.findPieces(jobId.value())) {
            if (piece.state() != JobState.SUCCEEDED || piece.pieceIndex() != done.size()) {
                break;
            }
            done.add(new TranscriptMerger.Piece(piece.pieceSpan(), codec.read(piece.transcriptJson())));
        }
        return done;
    }

    private void sendSettledSegments(TranscriptionJob job) throws IOException {
        segments(TranscriptMerger.settledSegments(finishedPieces(), job.piecesTotal()));
    }

    /** A {@code transcript.text.segment} event for each of {@code settled} not sent yet. */
    private void segments(List<Transcript.Segment> settled) throws IOException {
        for (int i = segmentsSent; i < settled.size(); i++) {
            send(DiarizedSegment.of(settled.get(i)));
            segmentsSent = i + 1;
        }
    }

    private void finish(Transcript transcript, boolean diarized) throws IOException {
        List<Logprob> tokens = transcript.logprobs();
        if (diarized) {
            segments(transcript.segments() == null ? List.of() : transcript.segments());
        } else {
            List<String> ends = segmentEnds(transcript);
            for (String settled : ends.isEmpty() ? wordEnds(transcript.text(), WORDS_PER_DELTA) : ends) {
                delta(
                        settled,
                        tokens == null
                                ? null
                                : tokens.subList(
                                        0,
                                        Logprobs.tokensWithin(transcript.text(), tokens, Logprobs.wordCount(settled))));
            }
            delta(transcript.text(), tokens);
        }
        send(new TranscriptEvent.Done(transcript.text(), tokens, transcript.usage()));
        closed = true;
        emitter.complete();
    }

    private void fail(ApiException error) throws IOException {
        send(new TranscriptEvent.Error(OpenAiError.of(error).error()));
        closed = true;
        emitter.complete();
    }

    /**
     * The final text cut after each of its segments, for a stream that has not sent them yet (the pieces finished
     * before the stream started, or the audio was one piece): the caller still gets the text segment by segment,
     * however fast the work was. Empty when the segments cannot be found in the text in order.
     */
    static List<String> segmentEnds(Transcript transcript) {
        String text = transcript.text();
        List<String> ends = new ArrayList<>();
        if (transcript.segments() == null || text == null) {
            return ends;
        }
        int at = 0;
        for (Transcript.Segment segment : transcript.segments()) {
            String part = segment.text() == null ? "" : segment.text().strip();
            if (part.isEmpty()) {
                continue;
            }
            int found = text.indexOf(part, at);
            if (found < 0) {
                return List.of();
            }
            at = found + part.length();
            ends.add(text.substring(0, at));
        }
        return ends;
    }

    /**
     * The text cut after every {@code words} words: how a stream that has not sent the text yet, and cannot find its
     * segments in it (no timestamps, or a text the segments do not spell out), still sends it in parts.
     */
    static List<String> wordEnds(String text, int words) {
        List<String> ends = new ArrayList<>();
        if (text == null) {
            return ends;
        }
        int count = 0;
        for (int i = 1; i < text.length(); i++) {
            if (Character.isWhitespace(text.charAt(i))
                    && !Character.isWhitespace(text.charAt(i - 1))
                    && ++count % words == 0) {
                ends.add(text.substring(0, i));
            }
        }
        return ends;
    }

    /** Sends the text after what was sent, with the tokens of {@code upTo} (null: none asked) not sent yet. */
    private void delta(String settled, List<Logprob> upTo) throws IOException {
        if (settled.length() <= sent.length() || !settled.startsWith(sent)) {
            return; // nothing new (or a merge that rewrote sent text: the done event carries the whole)
        }
        List<Logprob> tokens = null;
        if (upTo != null) {
            tokens = upTo.size() > sentTokens ? upTo.subList(sentTokens, upTo.size()) : List.of();
            sentTokens = Math.max(sentTokens, upTo.size());
        }
        send(new TranscriptEvent.Delta(settled.substring(sent.length()), tokens));
        sent = settled;
    }

    /** A {@link TranscriptEvent} or a {@link DiarizedSegment}. */
    private void send(Object event) throws IOException {
        emitter.send(SseEmitter.event().data(json.writeValueAsString(event)));
    }
}
