package dev.transcriber.worker.audio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.transcriber.common.store.ChunkingStrategy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SilenceRuleTest {

    private static final ChunkingProperties DEFAULTS = new ChunkingProperties(
            8, Duration.ofSeconds(60), Duration.ZERO, Duration.ofSeconds(2), -35, Duration.ofMillis(400), "");

    @Test
    void aServerVadStrategyBecomesTheCuttersSilenceRule() {
        assertThat(SilenceRule.of(DEFAULTS, new ChunkingStrategy("server_vad", 300, 800, 0.5)))
                .isEqualTo(new SilenceRule(-35, Duration.ofMillis(800)));
        assertThat(SilenceRule.of(DEFAULTS, new ChunkingStrategy("server_vad", null, null, 0.0))
                        .thresholdDb())
                .isEqualTo(-60);
        assertThat(SilenceRule.of(DEFAULTS, new ChunkingStrategy("server_vad", null, null, 1.0))
                        .thresholdDb())
                .isEqualTo(-10);
    }

    @Test
    void autoOrNoStrategyKeepsTheConfiguredRule() {
        SilenceRule configured = new SilenceRule(-35, Duration.ofMillis(400));
        assertThat(SilenceRule.of(DEFAULTS, null)).isEqualTo(configured);
        assertThat(SilenceRule.of(DEFAULTS, ChunkingStrategy.auto())).isEqualTo(configured);
        assertThat(SilenceRule.of(DEFAULTS, new ChunkingStrategy("server_vad", 300, null, null)))
                .isEqualTo(configured);
    }
}
