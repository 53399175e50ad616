package dev.flotilla.dataplane.addr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4InterfaceTest {

    @Test
    void isAnAddressOnItsNetwork() {
        Ipv4Interface task = Ipv4Interface.parse("10.0.1.44/20");
        assertThat(task.address()).isEqualTo(Ipv4Address.parse("10.0.1.44"));
        assertThat(task.prefixLength()).isEqualTo(20);
        assertThat(task.network()).isEqualTo(Ipv4Prefix.parse("10.0.0.0/20"));
        assertThat(task.contains(Ipv4Address.parse("10.0.15.255"))).isTrue();
        assertThat(task.contains(Ipv4Address.parse("10.0.16.0"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.2/24", "10.0.0.0/24", "0.0.0.0/0", "255.255.255.255/32", "198.18.0.7/0"})
    void printsWhatItParsed(String cidr) {
        assertThat(Ipv4Interface.parse(cidr)).hasToString(cidr);
    }

    @Test
    void handlesTheExtremeLengths() {
        Ipv4Interface anywhere = Ipv4Interface.parse("198.18.0.7/0");
        assertThat(anywhere.network()).isEqualTo(Ipv4Prefix.parse("0.0.0.0/0"));
        assertThat(anywhere.contains(Ipv4Address.parse("255.255.255.255"))).isTrue();

        Ipv4Interface alone = Ipv4Interface.parse("198.18.0.7/32");
        assertThat(alone.network()).isEqualTo(Ipv4Prefix.parse("198.18.0.7/32"));
        assertThat(alone.contains(Ipv4Address.parse("198.18.0.7"))).isTrue();
        assertThat(alone.contains(Ipv4Address.parse("198.18.0.6"))).isFalse();
    }

    @Test
    void isTheNthAddressOfANetwork() {
        assertThat(Ipv4Interface.in(Ipv4Prefix.parse("10.0.0.0/24"), 2)).isEqualTo(Ipv4Interface.parse("10.0.0.2/24"));
    }

    @Test
    void refusesTextThatIsNotAnAddressWithALength() {
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 interface address (a.b.c.d/len): '10.0.0.2'");
        assertThatThrownBy(() -> Ipv4Interface.parse(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 interface address (a.b.c.d/len): 'null'");
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.2/")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 prefix length in '10.0.0.2/'");
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.2/-1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 prefix length in '10.0.0.2/-1'");
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.2/33")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length out of range 0..32 in '10.0.0.2/33'");
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.256/24")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 address: '10.0.0.256'");
        assertThatThrownBy(() -> Ipv4Interface.parse("10.0.0.2/24/1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not an IPv4 prefix length in '10.0.0.2/24/1'");
    }

    @Test
    void refusesALengthOutOfRangeWhenBuilt() {
        assertThatThrownBy(() -> new Ipv4Interface(Ipv4Address.ANY, 33)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length out of range 0..32: 33");
    }
}
