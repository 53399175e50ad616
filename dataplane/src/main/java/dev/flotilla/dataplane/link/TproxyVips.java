package dev.flotilla.dataplane.link;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.linux.InterfaceNames;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one overlay network's namespace needs so that every service VIP of the network, on any TCP
 * or UDP port, reaches the daemon's transparent listeners there (ARCHITECTURE.md section 7):
 * <ul>
 *   <li>each VIP as a {@code /32} address on the bridge, so the namespace owns it and the bridge
 *       answers ARP for it (a task on this node sends to the VIP's MAC, which is br0's);</li>
 *   <li>table {@code ip flotilla_vip}: set {@code vips} and a prerouting chain
 *       {@code ip daddr @vips meta l4proto tcp|udp tproxy to :PORT meta mark set 1 accept};</li>
 *   <li>{@code ip rule fwmark 1 lookup 100} and {@code local 0.0.0.0/0 dev lo table 100}, so the
 *       marked packets are delivered locally;</li>
 *   <li>{@code net.bridge.bridge-nf-call-{iptables,ip6tables,arptables} = 0}: with br_netfilter
 *       on, bridged frames go through the IP hooks first and the connection silently times out.</li>
 * </ul>
 *
 * <p>Every method is idempotent. {@link #setVips} changes the set in one nft transaction (flush and
 * refill), so a VIP that stays keeps steering its established connections; addresses are added and
 * removed by difference. {@link #remove} leaves no table, rule, route or VIP address behind (the
 * sysctls stay off: they are values, not objects, and off is right for a bridge nobody filters).
 *
 * <p>Methods are synchronized per instance; use one instance per namespace (the agent's network
 * reconciler), since {@link #setVips} reads the current addresses and then applies the difference.
 *
 * <p>Convention: {@code /32} addresses on the bridge are VIPs; the node's LB address on the network
 * goes on the bridge with the subnet's prefix length.
 */
public final class TproxyVips {

    public static final String TABLE = "flotilla_vip";
    public static final int FWMARK = 1;
    public static final int ROUTE_TABLE = 100;
    static final List<String> BRIDGE_NF_SYSCTLS = List.of("net.bridge.bridge-nf-call-iptables",
            "net.bridge.bridge-nf-call-ip6tables", "net.bridge.bridge-nf-call-arptables");

    /** {@code ip -o -4 addr show dev br0}: "5: br0    inet 10.0.0.100/32 scope global br0 ...". */
    private static final Pattern INET = Pattern.compile("\\sinet\\s+(\\d+\\.\\d+\\.\\d+\\.\\d+)/(\\d+)\\s");

    private final String netns;
    private final String bridge;
    private final NetnsExec exec;
    private final Nftables nft;

    private TproxyVips(String netns, String bridge) {
        this.netns = Netns.validateName(netns);
        this.bridge = InterfaceNames.validate(bridge);
        this.exec = NetnsExec.in(netns);
        this.nft = Nftables.in(netns);
    }

    /** @param netns the network's namespace; @param bridge its bridge ({@code br0}), which must exist */
    public static TproxyVips in(String netns, String bridge) {
        return new TproxyVips(netns, bridge);
    }

    /**
     * Installs (or re-installs) the steering towards {@code tcpPort} and {@code udpPort}, the ports
     * of the transparent listeners. Keeps the current VIP set: re-running it with other ports moves
     * new connections to those ports without disturbing anything else.
     */
    public synchronized void install(int tcpPort, int udpPort) {
        checkPort(tcpPort);
        checkPort(udpPort);
        Sysctl sysctl = Sysctl.in(netns);
        for (String key : BRIDGE_NF_SYSCTLS) {
            sysctl.set(key, "0");
        }
        nft.apply(installScript(tcpPort, udpPort));
        ip("link", "set", "dev", "lo", "up");
        if (!hasFwmarkRule()) {
            ip("rule", "add", "fwmark", Integer.toString(FWMARK), "lookup", Integer.toString(ROUTE_TABLE));
        }
        ip("route", "replace", "local", "0.0.0.0/0", "dev", "lo", "table", Integer.toString(ROUTE_TABLE));
    }

    /**
     * Makes {@code vips} the namespace's VIP set: addresses on the bridge and the nft set. VIPs that
     * stay are not touched (their established connections go on); VIPs that go lose their address.
     */
    public synchronized void setVips(Collection<Ipv4Address> vips) {
        Set<Ipv4Address> wanted = new TreeSet<>(vips);
        Set<Ipv4Address> present = vipAddresses();
        String batch = addressBatch(bridge, wanted, present);
        if (!batch.isEmpty()) {
            exec.run(List.of("ip", "-batch", "-"), batch, LinkCommands.DEFAULT_TIMEOUT).checked();
        }
        nft.apply(setScript(wanted));
    }

    /** The VIPs set on the bridge now ({@code /32} addresses), sorted. */
    public Set<Ipv4Address> vipAddresses() {
        return parseHostAddresses(ip("-o", "-4", "addr", "show", "dev", bridge).stdout());
    }

    /** Undoes {@link #install} and {@link #setVips}: no table, fwmark rule, table-100 route or VIP address is left. */
    public synchronized void remove() {
        Set<Ipv4Address> present = vipAddresses();
        String batch = addressBatch(bridge, Set.of(), present);
        if (!batch.isEmpty()) {
            exec.run(List.of("ip", "-batch", "-"), batch, LinkCommands.DEFAULT_TIMEOUT).checked();
        }
        nft.deleteTable("ip", TABLE);
        while (hasFwmarkRule()) {
            ip("rule", "del", "fwmark", Integer.toString(FWMARK), "lookup", Integer.toString(ROUTE_TABLE));
        }
        if (!localRoutes().isEmpty()) {
            ip("route", "flush", "table", Integer.toString(ROUTE_TABLE));
        }
    }

    /** Whether the fwmark rule is there (as {@code ip rule show} prints it: "fwmark 0x1 lookup 100"). */
    public boolean hasFwmarkRule() {
        return hasFwmarkRule(ip("rule", "show").stdout());
    }

    /** Whether table {@code ip flotilla_vip} exists. */
    public boolean hasTable() {
        return exec.run("nft", "list", "table", "ip", TABLE).isSuccess();
    }

    /** The routes of table 100, as {@code ip route show table 100} prints them (empty when none). */
    public String localRoutes() {
        ExecResult result = LinkCommands.run(List.of("ip", "-n", netns, "route", "show", "table",
                Integer.toString(ROUTE_TABLE)), null, LinkCommands.DEFAULT_TIMEOUT);
        if (!result.isSuccess() && result.stderr().contains("does not exist")) {
            return ""; // iproute2 6.1: "Error: ipv4: FIB table does not exist." once its last route is gone
        }
        return result.checked().stdout().strip();
    }

    static boolean hasFwmarkRule(String ipRuleShow) {
        String wanted = "fwmark 0x" + Integer.toHexString(FWMARK) + " lookup " + ROUTE_TABLE;
        return ipRuleShow.lines().anyMatch(line -> line.strip().endsWith(wanted));
    }

    /** Idempotent: "add" leaves an existing table, set and chain (and the set's elements) as they are. */
    static String installScript(int tcpPort, int udpPort) {
        return "add table ip " + TABLE + "\n"
                + "add set ip " + TABLE + " vips { type ipv4_addr; }\n"
                + "add chain ip " + TABLE + " prerouting { type filter hook prerouting priority mangle; policy accept; }\n"
                + "flush chain ip " + TABLE + " prerouting\n"
                + "add rule ip " + TABLE + " prerouting ip daddr @vips meta l4proto tcp tproxy to :" + tcpPort
                + " meta mark set " + FWMARK + " accept\n"
                + "add rule ip " + TABLE + " prerouting ip daddr @vips meta l4proto udp tproxy to :" + udpPort
                + " meta mark set " + FWMARK + " accept\n";
    }

    /** Flush and refill in one transaction: packets see the old set or the new one, never an empty one. */
    static String setScript(Set<Ipv4Address> vips) {
        // "add" first: setting the VIPs before install() is harmless (no chain steers them yet).
        StringBuilder script = new StringBuilder("add table ip " + TABLE + "\n"
                + "add set ip " + TABLE + " vips { type ipv4_addr; }\n"
                + "flush set ip " + TABLE + " vips\n");
        if (!vips.isEmpty()) {
            script.append("add element ip ").append(TABLE).append(" vips { ");
            script.append(String.join(", ", vips.stream().map(Ipv4Address::toString).toList()));
            script.append(" }\n");
        }
        return script.toString();
    }

    /** {@code ip -batch} lines that turn the bridge's {@code present} VIP addresses into {@code wanted}. */
    static String addressBatch(String bridge, Set<Ipv4Address> wanted, Set<Ipv4Address> present) {
        StringBuilder batch = new StringBuilder();
        for (Ipv4Address vip : wanted) {
            if (!present.contains(vip)) {
                batch.append("addr add ").append(vip).append("/32 dev ").append(bridge).append('\n');
            }
        }
        for (Ipv4Address vip : present) {
            if (!wanted.contains(vip)) {
                batch.append("addr del ").append(vip).append("/32 dev ").append(bridge).append('\n');
            }
        }
        return batch.toString();
    }

    static Set<Ipv4Address> parseHostAddresses(String ipAddrShow) {
        Set<Ipv4Address> vips = new TreeSet<>();
        Matcher m = INET.matcher(ipAddrShow);
        while (m.find()) {
            if (m.group(2).equals("32")) {
                vips.add(Ipv4Address.parse(m.group(1)));
            }
        }
        return vips;
    }

    private ExecResult ip(String... args) {
        List<String> argv = new ArrayList<>(args.length + 3);
        argv.addAll(List.of("ip", "-n", netns));
        argv.addAll(List.of(args));
        return LinkCommands.runChecked(argv);
    }

    private static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("listener port must be in 1..65535, got " + port);
        }
    }

    @Override
    public String toString() {
        return "TproxyVips(" + netns + ", " + bridge + ")";
    }
}
