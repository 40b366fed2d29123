package dev.transcriber.standalone.support;

import dev.transcriber.worker.audio.Ffmpeg;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Synthetic "speech" whose words and timings are known exactly: each word is a short tone of its own pitch, words
 * are separated by short gaps and sentences by longer silences. {@link ToneRecognizer} hears it back, so tests can
 * check that long audio is cut, transcribed and merged with no word lost, doubled or misplaced.
 */
public final class ToneSpeech {

    public static final List<String> VOCABULARY = List.of(
            "alpha",
            "bravo",
            "charlie",
            "delta",
            "echo",
            "foxtrot",
            "golf",
            "hotel",
            "india",
            "juliett",
            "kilo",
            "lima",
            "mike",
            "november",
            "oscar",
            "papa",
            "quebec",
            "romeo",
            "sierra",
            "tango",
            "uniform",
            "victor",
            "whiskey",
            "xray",
            "yankee",
            "zulu",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten");
    static final double BASE_HZ = 300;
    static final double STEP_HZ = 25;
    static final double WORD_SECONDS = 0.3;

    public record Word(String word, double start, double end) {}

    /** The audio (16-bit mono WAV) and the words in it. */
    public record Speech(byte[] wav, List<Word> words, double duration, List<double[]> silences) {

        public List<String> text() {
            return words.stream().map(Word::word).toList();
        }
    }

    private static final Ffmpeg FFMPEG = new Ffmpeg();

    private ToneSpeech() {}

    /**
     * About {@code seconds} of speech at {@code sampleRate}: sentences of {@code wordsPerSentence} words, 0.12 s
     * apart, with {@code pause} seconds of silence between sentences (0: one unbroken stream of words).
     */
    public static Speech make(double seconds, int sampleRate, int wordsPerSentence, double pause) {
        List<Word> words = new ArrayList<>();
        List<double[]> silences = new ArrayList<>();
        double t = 0.5;
        int n = 0;
        while (t + WORD_SECONDS < seconds - 0.5) {
            words.add(new Word(VOCABULARY.get(n % VOCABULARY.size()), t, t + WORD_SECONDS));
            n++;
            t += WORD_SECONDS;
            if (pause > 0 && n % wordsPerSentence == 0) {
                silences.add(new double[] {t, t + pause});
                t += pause;
            } else {
                t += 0.12;
            }
        }
        double duration = Math.max(seconds, t + 0.5);
        return synthesize(words, silences, duration, sampleRate);
    }

    /** Words of one speaker's tone family: speaker {@code f} says words {@code 12 f} to {@code 12 f + 11}. */
    public static final int FAMILY_SIZE = 12;

    /** The speaker (tone family, 0 to 2) whose word {@code word} is. */
    public static int family(String word) {
        return VOCABULARY.indexOf(word) / FAMILY_SIZE;
    }

    /**
     * About {@code seconds} of a conversation: turns of {@code wordsPerTurn} words, turn {@code n} said by speaker
     * {@code speakerOfTurn(n)} (a tone family, 0 to 2), each speaker going through the words of its family in turn.
     * Turns follow each other after {@code pause} seconds (0: the usual 0.12 s between words, so the audio has no
     * silence to cut at).
     */
    public static Speech dialogue(
            double seconds,
            int sampleRate,
            int wordsPerTurn,
            double pause,
            java.util.function.IntUnaryOperator speakerOfTurn) {
        List<Word> words = new ArrayList<>();
        List<double[]> silences = new ArrayList<>();
        int[] said = new int[3];
        double t = 0.5;
        int turn = 0;
        while (t + WORDS_LEFT_MARGIN + wordsPerTurn * (WORD_SECONDS + 0.12) < seconds) {
            int speaker = speakerOfTurn.applyAsInt(turn);
            for (int i = 0; i < wordsPerTurn; i++) {
                String word = VOCABULARY.get(speaker * FAMILY_SIZE + said[speaker]++ % FAMILY_SIZE);
                words.add(new Word(word, t, t + WORD_SECONDS));
                t += WORD_SECONDS;
                t += i < wordsPerTurn - 1 || pause <= 0 ? 0.12 : 0;
            }
            if (pause > 0) {
                silences.add(new double[] {t, t + pause});
                t += pause;
            }
            turn++;
        }
        return synthesize(words, silences, Math.max(seconds, t + 0.5), sampleRate);
    }

    private static final double WORDS_LEFT_MARGIN = 0.5;

    private static Speech synthesize(List<Word> words, List<double[]> silences, double duration, int sampleRate) {
        int samples = (int) Math.round(duration * sampleRate);
        ByteBuffer wav = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        wav.put("RIFF".getBytes()).putInt(36 + samples * 2).put("WAVE".getBytes());
        wav.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1);
        wav.putInt(sampleRate).putInt(sampleRate * 2).putShort((short) 2).putShort((short) 16);
        wav.put("data".getBytes()).putInt(samples * 2);
        short[] pcm = new short[samples];
        for (Word w : words) {
            double hz = BASE_HZ + STEP_HZ * VOCABULARY.indexOf(w.word());
            int from = (int) Math.round(w.start() * sampleRate);
            int to = (int) Math.round(w.end() * sampleRate);
            for (int i = from; i < to && i < samples; i++) {
                pcm[i] = (short) (Math.sin(2 * Math.PI * hz * (i - from) / sampleRate) * 12_000);
            }
        }
        for (short s : pcm) {
            wav.putShort(s);
        }
        return new Speech(wav.array(), List.copyOf(words), duration, List.copyOf(silences));
    }

    /** The WAV encoded by ffmpeg ({@code mp3}, {@code ogg}, ...) or rewritten as another container. */
    public static byte[] encode(byte[] wav, String... outputArgs) {
        try {
            Path in = Files.createTempFile("tone", ".wav");
            Path out = Files.createTempFile("tone", ".out");
            Files.write(in, wav);
            List<String> args = new ArrayList<>(List.of("-v", "error", "-y", "-i", in.toString()));
            args.addAll(List.of(outputArgs));
            args.add(out.toString());
            ffmpeg(args.toArray(String[]::new));
            byte[] encoded = Files.readAllBytes(out);
            Files.delete(in);
            Files.delete(out);
            return encoded;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs the ffmpeg that the worker uses (from the bytedeco jars), failing with its errors. */
    static void ffmpeg(String... args) throws IOException, InterruptedException {
        Process process = FFMPEG.start(args);
        process.getOutputStream().close();
        String errors = new String(process.getErrorStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + errors);
        }
    }
}
