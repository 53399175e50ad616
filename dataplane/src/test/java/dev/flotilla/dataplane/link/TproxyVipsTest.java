package dev.flotilla.dataplane.link;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TproxyVipsTest {

    private static Ipv4Address ip(String s) {
        return Ipv4Address.parse(s);
    }

    @Test
    void installScriptKeepsTheSetAndReplacesTheRules() {
        String script = TproxyVips.installScript(7000, 7001);
        assertThat(script).contains("add set ip flotilla_vip vips { type ipv4_addr; }")
                .contains("flush chain ip flotilla_vip prerouting")
                .contains("ip daddr @vips meta l4proto tcp tproxy to :7000 meta mark set 1 accept")
                .contains("ip daddr @vips meta l4proto udp tproxy to :7001 meta mark set 1 accept")
                .doesNotContain("flush set").doesNotContain("delete");
    }

    @Test
    void setScriptFlushesAndRefillsInOneScript() {
        assertThat(TproxyVips.setScript(new TreeSet<>(Set.of(ip("10.0.0.9"), ip("10.0.0.10")))))
                .endsWith("flush set ip flotilla_vip vips\nadd element ip flotilla_vip vips { 10.0.0.9, 10.0.0.10 }\n");
        assertThat(TproxyVips.setScript(Set.of())).endsWith("vips { type ipv4_addr; }\nflush set ip flotilla_vip vips\n");
    }

    @Test
    void addressBatchTouchesOnlyTheDifference() {
        String batch = TproxyVips.addressBatch("br0", Set.of(ip("10.0.0.5"), ip("10.0.0.6")),
                Set.of(ip("10.0.0.6"), ip("10.0.0.7")));
        assertThat(batch).isEqualTo("addr add 10.0.0.5/32 dev br0\naddr del 10.0.0.7/32 dev br0\n");
        assertThat(TproxyVips.addressBatch("br0", Set.of(ip("10.0.0.6")), Set.of(ip("10.0.0.6")))).isEmpty();
    }

    @Test
    void onlyHostAddressesOfTheBridgeAreVips() {
        String out = "2: br0    inet 10.77.0.2/24 scope global br0\\       valid_lft forever preferred_lft forever\n"
                + "2: br0    inet 10.77.0.100/32 scope global br0\\       valid_lft forever preferred_lft forever\n";
        assertThat(TproxyVips.parseHostAddresses(out)).containsExactly(ip("10.77.0.100"));
    }

    @Test
    void findsTheFwmarkRule() {
        assertThat(TproxyVips.hasFwmarkRule("0:\tfrom all lookup local\n32765:\tfrom all fwmark 0x1 lookup 100\n"))
                .isTrue();
        assertThat(TproxyVips.hasFwmarkRule("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n")).isFalse();
    }
}
