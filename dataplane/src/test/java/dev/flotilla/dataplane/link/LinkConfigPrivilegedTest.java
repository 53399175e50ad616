package dev.flotilla.dataplane.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.linux.Native;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Builds a two-namespace topology (a "hub" with a bridge, a "leaf" with eth0 on a veth into
 * that bridge) and checks it carries traffic. Addresses from 198.18.0.0/15; the host's own
 * interfaces are never touched.
 */
@Timeout(120)
class LinkConfigPrivilegedTest {

    private static final Ipv4Address HUB = Ipv4Address.parse("198.18.0.1");
    private static final Ipv4Address LEAF = Ipv4Address.parse("198.18.0.2");
    /** Only reachable from the leaf through its default route. */
    private static final Ipv4Address HUB_LOOPBACK = Ipv4Address.parse("198.18.1.1");

    private final NamespaceLab lab = new NamespaceLab("ft-dp");
    private String hub;
    private String leaf;

    @BeforeEach
    void createNamespaces() {
        Root.assume("ip", "busybox");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        hub = lab.namespace("hub");
        leaf = lab.namespace("leaf");
    }

    @AfterEach
    void deleteNamespaces() {
        lab.close();
    }

    @Test
    void bridgedVethCarriesTrafficBothWaysAndByDefaultRoute() {
        buildTopology();

        assertThat(ping(leaf, HUB)).as("leaf -> hub on the bridge").isTrue();
        assertThat(ping(hub, LEAF)).as("hub -> leaf").isTrue();
        assertThat(ping(leaf, HUB_LOOPBACK)).as("leaf -> hub lo via default route").isTrue();
    }

    @Test
    void linksLandWhereTheyWereMovedNamedAndConfigured() {
        buildTopology();
        LinkConfig hubLinks = LinkConfig.in(hub);
        LinkConfig leafLinks = LinkConfig.in(leaf);

        assertThat(Netns.list()).contains(hub, leaf);
        assertThat(hubLinks.listLinks("ftv")).containsExactly("ftv0");
        assertThat(hubLinks.listLinks("")).contains("lo", "ftbr0", "ftv0").doesNotContain("ftv0p", "eth0");
        assertThat(leafLinks.listLinks("")).containsExactlyInAnyOrder("lo", "eth0");
        assertThat(leafLinks.linkExists("eth0")).isTrue();
        assertThat(hubLinks.linkExists("eth0")).isFalse();

        String eth0 = NetnsExec.in(leaf).run("ip", "link", "show", "dev", "eth0").checked().stdout();
        assertThat(eth0).contains("mtu 1450").contains("link/ether " + MacAddress.fromIpv4(LEAF)).contains("state UP").doesNotContain("master");
        String ftv0 = NetnsExec.in(hub).run("ip", "link", "show", "dev", "ftv0").checked().stdout();
        assertThat(ftv0).contains("master ftbr0");

        leafLinks.addRoute(Ipv4Prefix.parse("198.18.2.0/24"), "eth0");
        assertThat(NetnsExec.in(leaf).run("ip", "route", "show").checked().stdout())
                .contains("default via 198.18.0.1 dev eth0")
                .contains("198.18.2.0/24 dev eth0");

        hubLinks.deleteLink("ftv0");
        hubLinks.deleteLink("ftv0");
        assertThat(hubLinks.linkExists("ftv0")).isFalse();
        assertThat(leafLinks.linkExists("eth0")).as("a veth's peer goes with it").isFalse();
    }

    @Test
    void aVethPairMadeInOneStepHasEachEndInPlaceAndCarriesTrafficOnceTheBatchRan() {
        LinkConfig hubLinks = LinkConfig.in(hub);
        hubLinks.addBridge("ftbr0");
        hubLinks.addAddress("ftbr0", HUB, 24);
        hubLinks.setUp("ftbr0");

        hubLinks.addVethPair("ftv0", 1400, "ftbr0", "eth0", leaf, MacAddress.fromIpv4(LEAF));

        String ftv0 = NetnsExec.in(hub).run("ip", "link", "show", "dev", "ftv0").checked().stdout();
        assertThat(ftv0).contains("mtu 1400").contains("master ftbr0").contains(",UP");
        String eth0 = NetnsExec.in(leaf).run("ip", "link", "show", "dev", "eth0").checked().stdout();
        assertThat(eth0).contains("mtu 1400").contains("link/ether " + MacAddress.fromIpv4(LEAF)).contains("state DOWN");
        assertThat(hubLinks.linkExists("eth0")).isFalse();
        assertThat(ping(leaf, HUB)).as("no address yet").isFalse();

        LinkConfig.in(leaf).batch().setUp("lo").addAddress("eth0", LEAF, 24).setUp("eth0").addDefaultRoute(HUB).run();

        assertThat(ping(leaf, HUB)).as("leaf -> hub on the bridge").isTrue();
        assertThat(NetnsExec.in(leaf).run("ip", "route", "show").checked().stdout())
                .contains("default via 198.18.0.1 dev eth0");
    }

    @Test
    void aBatchStopsAtItsFirstFailureAndSaysWhichLineFailedAndWhy() {
        LinkConfig leafLinks = LinkConfig.in(leaf);
        LinkConfig.Batch batch = leafLinks.batch()
                .addAddress("lo", HUB_LOOPBACK, 32)
                .addAddress("lo", HUB_LOOPBACK, 32)
                .addAddress("lo", LEAF, 32);

        assertThatThrownBy(batch::run)
                .isInstanceOf(LinkException.class)
                .hasMessageContaining("ip -n " + leaf + " -batch -")
                .hasMessageContaining("Address already assigned")
                .hasMessageContaining("Command failed -:2");
        String addresses = NetnsExec.in(leaf).run("ip", "-o", "addr", "show", "dev", "lo").checked().stdout();
        assertThat(addresses).contains(HUB_LOOPBACK + "/32").doesNotContain(LEAF.toString());
        leafLinks.batch().run(); // an empty batch runs nothing
    }

    @Test
    void nftablesRulesApplyOnlyInTheirNamespaceAndDeleteIdempotently() {
        buildTopology();
        Nftables hubNft = Nftables.in(hub);
        hubNft.apply("""
                table inet ft_test {
                  chain input {
                    type filter hook input priority 0; policy accept;
                    icmp type echo-request drop
                  }
                }
                """);
        assertThat(hubNft.listRuleset()).contains("table inet ft_test");
        assertThat(Nftables.in(leaf).listRuleset()).doesNotContain("ft_test");
        assertThat(ping(leaf, HUB)).as("echo requests are dropped in the hub").isFalse();

        hubNft.deleteTable("inet", "ft_test");
        hubNft.deleteTable("inet", "ft_test");
        assertThat(hubNft.listRuleset()).doesNotContain("ft_test");
        assertThat(ping(leaf, HUB)).isTrue();
    }

    @Test
    void rejectedScriptLeavesNothingBehindAndSaysWhy() {
        Nftables hubNft = Nftables.in(hub);
        assertThatThrownBy(() -> hubNft.apply("table inet ft_ok {}\ntable inet ft_bad { chain c { nonsense } }\n"))
                .isInstanceOf(LinkException.class)
                .hasMessageContaining("nft -f -")
                .hasMessageContaining("nonsense");
        assertThat(hubNft.listRuleset()).doesNotContain("ft_ok");
    }

    @Test
    void sysctlIsPerNamespace() {
        Sysctl.in(hub).set("net.ipv4.ip_forward", "1");
        assertThat(Sysctl.in(hub).get("net.ipv4.ip_forward")).isEqualTo("1");
        assertThat(Sysctl.in(leaf).get("net.ipv4.ip_forward")).isEqualTo("0");
    }

    @Test
    void errorsNameTheCommandAndTheKernelsAnswer() {
        LinkConfig hubLinks = LinkConfig.in(hub);
        hubLinks.addBridge("ftbr0");
        assertThatThrownBy(() -> hubLinks.addBridge("ftbr0"))
                .isInstanceOf(LinkException.class)
                .hasMessageContaining("ip -n " + hub + " link add name ftbr0 type bridge")
                .hasMessageContaining("File exists");
        assertThatThrownBy(() -> Netns.add(hub)).isInstanceOf(LinkException.class).hasMessageContaining(hub);
        assertThatThrownBy(() -> LinkConfig.in("ft-dp-never-made").linkExists("lo"))
                .isInstanceOf(LinkException.class);
    }

    @Test
    void deletingANamespaceTwiceIsFine() {
        Netns.delete(leaf);
        assertThat(Netns.exists(leaf)).isFalse();
        Netns.delete(leaf);
    }

    /**
     * hub: lo up with 198.18.1.1/32, ftbr0 198.18.0.1/24 up, ftv0 in ftbr0.
     * leaf: eth0 (ftv0's peer, moved and renamed) 198.18.0.2/24, MTU 1450, Docker-style MAC,
     * default route via the hub.
     */
    private void buildTopology() {
        LinkConfig hubLinks = LinkConfig.in(hub);
        hubLinks.setUp("lo");
        hubLinks.addAddress("lo", HUB_LOOPBACK, 32);
        hubLinks.addBridge("ftbr0");
        hubLinks.addAddress("ftbr0", HUB, 24);
        hubLinks.setUp("ftbr0");
        hubLinks.addVethPair("ftv0", "ftv0p");
        hubLinks.setMaster("ftv0", "ftbr0");
        hubLinks.setUp("ftv0");
        hubLinks.moveToNetns("ftv0p", leaf, "eth0");

        LinkConfig leafLinks = LinkConfig.in(leaf);
        leafLinks.setUp("lo");
        leafLinks.setMtu("eth0", 1450);
        leafLinks.setMacAddress("eth0", MacAddress.fromIpv4(LEAF));
        leafLinks.addAddress("eth0", LEAF, 24);
        leafLinks.setUp("eth0");
        leafLinks.addDefaultRoute(HUB);
    }

    private static boolean ping(String fromNs, Ipv4Address to) {
        // Succeeds on the first reply of up to 3 (busybox exits 0 if any came back); -W 2 bounds the wait.
        return NetnsExec.in(fromNs).run("busybox", "ping", "-c", "3", "-A", "-W", "2", to.toString()).isSuccess();
    }
}
