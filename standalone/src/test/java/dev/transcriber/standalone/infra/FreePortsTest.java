package dev.transcriber.standalone.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Ports picked for servers that start later are out of the way of outgoing connections (below the ephemeral range,
 * where clients take their local ports) and never handed out twice, so nothing can take one before its server binds
 * it.
 */
class FreePortsTest {

    @Test
    void picksAreBelowTheEphemeralRangeAndNeverRepeat() {
        int ephemeral = FreePorts.ephemeralRangeStart();
        Set<Integer> picked = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int port = FreePorts.pick();
            assertThat(port).isBetween(20000, ephemeral - 1);
            assertThat(picked.add(port)).as("port %d picked twice", port).isTrue();
        }
    }
}
