package dev.flotilla.dataplane.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class Ipv4PrefixTest {

    @Test
    void describesADockerSizedOverlaySubnet() {
        Ipv4Prefix prefix = Ipv4Prefix.parse("10.0.0.0/20");
        assertThat(prefix.network()).isEqualTo(Ipv4Address.parse("10.0.0.0"));
        assertThat(prefix.prefixLength()).isEqualTo(20);
        assertThat(prefix.size()).isEqualTo(4096);
        assertThat(prefix.mask()).isEqualTo(0xfffff000);
        assertThat(prefix.broadcast()).isEqualTo(Ipv4Address.parse("10.0.15.255"));
        assertThat(prefix.address(1)).isEqualTo(Ipv4Address.parse("10.0.0.1"));
        assertThat(prefix.address(300)).isEqualTo(Ipv4Address.parse("10.0.1.44"));
        assertThat(prefix.indexOf(Ipv4Address.parse("10.0.1.44"))).isEqualTo(300);
        assertThat(prefix.address(4095)).isEqualTo(prefix.broadcast());
        assertThat(prefix).hasToString("10.0.0.0/20");
    }

    @Test
    void containsExactlyItsRange() {
        Ipv4Prefix prefix = Ipv4Prefix.parse("10.0.16.0/20");
        assertThat(prefix.contains(Ipv4Address.parse("10.0.16.0"))).isTrue();
        assertThat(prefix.contains(Ipv4Address.parse("10.0.31.255"))).isTrue();
        assertThat(prefix.contains(Ipv4Address.parse("10.0.15.255"))).isFalse();
        assertThat(prefix.contains(Ipv4Address.parse("10.0.32.0"))).isFalse();
        assertThat(prefix.contains(Ipv4Prefix.parse("10.0.20.0/24"))).isTrue();
        assertThat(prefix.contains(Ipv4Prefix.parse("10.0.0.0/8"))).isFalse();
        assertThat(prefix.overlaps(Ipv4Prefix.parse("10.0.0.0/8"))).isTrue();
        assertThat(prefix.overlaps(Ipv4Prefix.parse("10.0.0.0/20"))).isFalse();
    }

    @Test
    void handlesTheExtremeLengths() {
        Ipv4Prefix all = Ipv4Prefix.parse("0.0.0.0/0");
        assertThat(all.size()).isEqualTo(1L << 32);
        assertThat(all.contains(Ipv4Address.parse("255.255.255.255"))).isTrue();
        assertThat(all.address(0xffffffffL)).isEqualTo(Ipv4Address.parse("255.255.255.255"));
        assertThat(all.broadcast()).isEqualTo(Ipv4Address.parse("255.255.255.255"));

        Ipv4Prefix host = Ipv4Prefix.parse("198.18.0.7/32");
        assertThat(host.size()).isEqualTo(1);
        assertThat(host.broadcast()).isEqualTo(host.network());
        assertThat(host.contains(Ipv4Address.parse("198.18.0.8"))).isFalse();
    }

    @Test
    void nthAddressOutsideTheRangeIsAnError() {
        Ipv4Prefix prefix = Ipv4Prefix.parse("198.18.0.0/30");
        assertThatThrownBy(() -> prefix.address(4)).isInstanceOf(IndexOutOfBoundsException.class)
                .hasMessageContaining("198.18.0.0/30");
        assertThatThrownBy(() -> prefix.address(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void parseRejectsHostBitsButContainingMasksThem() {
        assertThatThrownBy(() -> Ipv4Prefix.parse("10.0.0.1/20"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("host bits").hasMessageContaining("10.0.0.0/20");
        assertThat(Ipv4Prefix.containing(Ipv4Address.parse("10.0.5.9"), 20)).isEqualTo(Ipv4Prefix.parse("10.0.0.0/20"));
    }

    @Test
    void rejectsMalformedText() {
        for (String text : new String[] {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0/8", "10.0.0.0/8/8"}) {
            assertThatThrownBy(() -> Ipv4Prefix.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
