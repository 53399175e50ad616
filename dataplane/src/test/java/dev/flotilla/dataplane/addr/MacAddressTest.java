package dev.flotilla.dataplane.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MacAddressTest {

    @Test
    void derivesDockerStyleMacFromIpv4() {
        MacAddress mac = MacAddress.fromIpv4(Ipv4Address.parse("10.0.0.2"));
        assertThat(mac).hasToString("02:42:0a:00:00:02");
        assertThat(MacAddress.fromIpv4(Ipv4Address.parse("172.18.255.171"))).hasToString("02:42:ac:12:ff:ab");
        assertThat(mac.isMulticast()).isFalse();
    }

    @Test
    void roundTripsTextAndBytes() {
        MacAddress mac = MacAddress.parse("DE:ad:BE:ef:00:01");
        assertThat(mac).hasToString("de:ad:be:ef:00:01");
        assertThat(mac.toBytes()).containsExactly(0xde, 0xad, 0xbe, 0xef, 0x00, 0x01);
        assertThat(MacAddress.fromBytes(new byte[] {0, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0, 1}, 1))
                .isEqualTo(mac);
    }

    @Test
    void recognisesGroupAddresses() {
        assertThat(MacAddress.BROADCAST).hasToString("ff:ff:ff:ff:ff:ff");
        assertThat(MacAddress.BROADCAST.isBroadcast()).isTrue();
        assertThat(MacAddress.parse("01:00:5e:00:00:fb").isMulticast()).isTrue();
        assertThat(MacAddress.parse("01:00:5e:00:00:fb").isBroadcast()).isFalse();
    }

    @Test
    void rejectsMalformedText() {
        for (String text : new String[] {"", "02:42:0a:00:00", "02:42:0a:00:00:0g", "02-42-0a-00-00-02", "02:42:0a:00:00:02:"}) {
            assertThatThrownBy(() -> MacAddress.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new MacAddress(1L << 48)).isInstanceOf(IllegalArgumentException.class);
    }
}
