package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class SilenceDetectorTest {

    @Test
    void findsQuietStretchesLongEnoughToTheSample() {
        // 1000 loud, 500 quiet, 1000 loud, 100 quiet (too short), 1000 loud, 300 quiet to the end
        short[] samples = concat(loud(1000), quiet(500), loud(1000), quiet(100), loud(1000), quiet(300));
        SilenceDetector detector = new SilenceDetector(-35, 200);

        byte[] pcm = bytes(samples);
        detector.accept(pcm, 2400); // two chunks (bytes), split inside the first silence
        assertThat(detector.openSilenceStart()).isEqualTo(1000);
        detector.accept(java.util.Arrays.copyOfRange(pcm, 2400, pcm.length), pcm.length - 2400);
        detector.end();

        assertThat(detector.silences())
                .containsExactly(new PiecePlanner.Silence(1000, 1500), new PiecePlanner.Silence(3600, 3900));
        assertThat(detector.samples()).isEqualTo(3900);
    }

    @Test
    void aPieceWaitsForASilenceThatBeganInsideItsWindowToEnd() {
        PiecePlanner planner = new PiecePlanner(100, 10, 10);

        assertThat(planner.next(150, java.util.List.of(), 90)).isEmpty();
        assertThat(planner.next(150, java.util.List.of(new PiecePlanner.Silence(90, 104)), -1))
                .contains(new PiecePlanner.PlannedPiece(0, 0, 97, 0, 97));
    }

    private static short[] loud(int n) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) (Math.sin(i * 0.3) > 0 ? 9000 : -9000);
        }
        return s;
    }

    private static short[] quiet(int n) {
        short[] s = new short[n];
        for (int i = 0; i < n; i++) {
            s[i] = (short) (i % 2 == 0 ? 50 : -50);
        }
        return s;
    }

    private static short[] concat(short[]... parts) {
        int length = 0;
        for (short[] p : parts) {
            length += p.length;
        }
        short[] all = new short[length];
        int at = 0;
        for (short[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static byte[] bytes(short[] samples) {
        ByteBuffer buffer = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : samples) {
            buffer.putShort(s);
        }
        return buffer.array();
    }
}
