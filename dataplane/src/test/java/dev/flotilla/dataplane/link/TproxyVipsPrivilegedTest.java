package dev.flotilla.dataplane.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.linux.Native;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A network namespace with br0 and a task namespace on it: the VIP machinery goes in, answers ARP
 * for the VIPs on br0, survives re-installation, and leaves nothing when removed.
 */
@Timeout(120)
class TproxyVipsPrivilegedTest {

    private static final Ipv4Address VIP1 = Ipv4Address.parse("10.77.0.100");
    private static final Ipv4Address VIP2 = Ipv4Address.parse("10.77.0.101");

    private final NamespaceLab lab = new NamespaceLab("ft-dp");
    private String net;
    private String task;

    @BeforeEach
    void topology() {
        Root.assume("ip", "busybox");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        net = lab.namespace("net");
        task = lab.namespace("task");
        LinkConfig n = LinkConfig.in(net);
        n.addBridge("br0");
        n.addAddress("br0", Ipv4Address.parse("10.77.0.2"), 24);
        n.setUp("br0");
        n.addVethPair("vt1", "vt1p");
        n.setMaster("vt1", "br0");
        n.setUp("vt1");
        n.moveToNetns("vt1p", task, "eth0");
        LinkConfig t = LinkConfig.in(task);
        t.addAddress("eth0", Ipv4Address.parse("10.77.0.11"), 24);
        t.setUp("eth0");
    }

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    @Test
    void installsIdempotentlyAnswersArpAndRemovesEverything() {
        TproxyVips vips = TproxyVips.in(net, "br0");
        vips.install(7000, 7001);
        vips.install(7000, 7001);
        vips.setVips(Set.of(VIP1, VIP2));
        vips.setVips(Set.of(VIP1, VIP2));

        assertThat(vips.vipAddresses()).containsExactly(VIP1, VIP2);
        String ruleset = Nftables.in(net).listRuleset();
        assertThat(ruleset).contains("10.77.0.100").contains("10.77.0.101")
                .contains("tproxy to :7000").contains("tproxy to :7001");
        assertThat(NetnsExec.in(net).run("ip", "rule", "show").stdout().lines()
                .filter(l -> l.contains("fwmark 0x1 lookup 100")).count()).isEqualTo(1);
        assertThat(vips.localRoutes()).contains("local default dev lo");
        assertThat(Sysctl.in(net).get("net.bridge.bridge-nf-call-iptables")).isEqualTo("0");
        assertThat(Sysctl.in(net).get("net.bridge.bridge-nf-call-arptables")).isEqualTo("0");

        // A task on this node resolves the VIP to br0's MAC: the kernel answers ARP for it on br0.
        assertThat(arping(VIP1)).as("ARP reply for the VIP on br0").isTrue();

        // Re-installing with another port keeps the set; shrinking the set drops the address.
        vips.install(7002, 7003);
        assertThat(Nftables.in(net).listRuleset()).contains("10.77.0.101").contains("tproxy to :7002")
                .doesNotContain("tproxy to :7000");
        vips.setVips(Set.of(VIP1));
        assertThat(vips.vipAddresses()).containsExactly(VIP1);
        assertThat(Nftables.in(net).listRuleset()).doesNotContain("10.77.0.101");

        vips.remove();
        vips.remove();
        assertThat(vips.hasTable()).isFalse();
        assertThat(vips.hasFwmarkRule()).isFalse();
        assertThat(vips.localRoutes()).isEmpty();
        assertThat(vips.vipAddresses()).isEmpty();
        assertThat(NetnsExec.in(net).run("ip", "-o", "-4", "addr", "show", "dev", "br0").stdout())
                .contains("10.77.0.2/24");
    }

    /** busybox arping from the task: exit 0 once a reply came back. */
    private boolean arping(Ipv4Address target) {
        return NetnsExec.in(task).run("busybox", "arping", "-c", "3", "-w", "3", "-f", "-I", "eth0",
                target.toString()).isSuccess();
    }
}
