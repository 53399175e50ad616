package dev.flotilla.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.WriteBufferWaterMark;
import org.junit.jupiter.api.Test;

class ProxyOptionsTest {

    @Test
    void relayWaterMarksAreTheRelayBufferAndHalfOfIt() {
        WriteBufferWaterMark marks = ProxyOptions.DEFAULTS.withRelayBufferBytes(1 << 20).relayWaterMark();

        assertThat(marks.high()).isEqualTo(1 << 20);
        assertThat(marks.low()).isEqualTo(1 << 19);
    }

    @Test
    void defaultRelayBufferIsLargerThanNettys() {
        // Netty's 64 KiB reads cost a VIP about a fifth of its throughput (ProxyOptions.DEFAULT_RELAY_BUFFER_BYTES).
        assertThat(ProxyOptions.DEFAULTS.relayBufferBytes()).isEqualTo(ProxyOptions.DEFAULT_RELAY_BUFFER_BYTES)
                .isGreaterThan(WriteBufferWaterMark.DEFAULT.high());
    }

    @Test
    void relayBufferOutsideItsBoundsIsRefused() {
        assertThatThrownBy(() -> ProxyOptions.DEFAULTS.withRelayBufferBytes(ProxyOptions.MIN_RELAY_BUFFER_BYTES - 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("relayBufferBytes");
        assertThatThrownBy(() -> ProxyOptions.DEFAULTS.withRelayBufferBytes(ProxyOptions.MAX_RELAY_BUFFER_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("relayBufferBytes");
    }
}
