package dev.flotilla.dataplane.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Ipv4AddressTest {

    @Test
    void parsesAndFormatsDottedQuad() {
        Ipv4Address address = Ipv4Address.parse("10.0.15.254");
        assertThat(address.value()).isEqualTo(0x0a000ffe);
        assertThat(address).hasToString("10.0.15.254");
        assertThat(Ipv4Address.parse("255.255.255.255").value()).isEqualTo(-1);
        assertThat(Ipv4Address.parse("0.0.0.0")).isEqualTo(Ipv4Address.ANY);
        assertThat(Ipv4Address.of(198, 18, 0, 1)).isEqualTo(Ipv4Address.parse("198.18.0.1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "a.b.c.d",
        " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "1.2.3.1000", "+1.2.3.4"})
    void rejectsAnythingButFourDecimalOctets(String text) {
        assertThatThrownBy(() -> Ipv4Address.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void convertsToAndFromInetAddress() throws Exception {
        Ipv4Address address = Ipv4Address.parse("192.168.1.20");
        assertThat(address.toInetAddress()).isEqualTo(InetAddress.getByName("192.168.1.20"));
        assertThat(Ipv4Address.fromInetAddress(address.toInetAddress())).isEqualTo(address);
        assertThat(Ipv4Address.fromBytes(new byte[] {9, (byte) 192, (byte) 168, 1, 20}, 1)).isEqualTo(address);
    }

    @Test
    void ordersAsUnsigned() {
        assertThat(Ipv4Address.parse("10.0.0.1")).isLessThan(Ipv4Address.parse("192.168.0.1"));
        assertThat(Ipv4Address.parse("192.168.0.1").toUnsignedLong()).isEqualTo(0xc0a80001L);
    }

    @Test
    void rejectsOctetsOutOfRange() {
        assertThatThrownBy(() -> Ipv4Address.of(1, 2, 3, 256)).isInstanceOf(IllegalArgumentException.class);
    }
}
