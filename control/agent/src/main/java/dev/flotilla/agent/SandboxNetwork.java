package dev.flotilla.agent;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.Netns;
import dev.flotilla.dataplane.link.Nftables;
import dev.flotilla.dataplane.link.Sysctl;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network plumbing of one node: the gwbridge (tasks' masqueraded egress), a namespace with a
 * bridge per network present here (the ingress network for now), and one namespace per task.
 *
 * <p>Every namespace name carries this daemon's tag, so daemons sharing a machine (tests run one
 * per namespace) never touch each other's, and a restarted daemon finds all that its predecessor
 * left by prefix. Links in the daemon's own namespace are few and fixed: {@value #GW_BRIDGE},
 * {@value #INGRESS_LINK} and one {@code flg<task>} veth end per task.
 */
public final class SandboxNetwork implements TaskSandboxes {

    private static final Logger log = LoggerFactory.getLogger(SandboxNetwork.class);

    static final String GW_BRIDGE = "flgw0";
    static final String INGRESS_LINK = "flingress0";
    /** Docker's docker_gwbridge subnet. */
    static final Ipv4Prefix GW_SUBNET = Ipv4Prefix.parse("172.18.0.0/16");
    static final String NFT_TABLE = "flotilla";
    static final String BRIDGE = "br0";
    /** Docker's overlay MTU: 1500 less the 50 bytes of VXLAN encapsulation; until the underlay's is known. */
    static final int DEFAULT_OVERLAY_MTU = 1450;
    /** The gwbridge legs' MTU: a veth's default, as Docker's docker_gwbridge. */
    static final int GW_MTU = 1500;

    private final String prefix;
    private final String hostNetns;
    private final LinkConfig here;
    // Underlay MTU - 50, set by the Overlay once it knows the underlay; links made from then on use it.
    private volatile int overlayMtu = DEFAULT_OVERLAY_MTU;
    // The ingress namespace's end of flingress0 ({namespace, link}), to follow an MTU change.
    private volatile String[] ingressPeer;
    // Guarded by this: gwbridge addresses are node-local, handed out to task sandboxes.
    private final BitSet gwInUse = new BitSet();
    private final Map<String, Integer> gwByTask = new ConcurrentHashMap<>();

    /** @param tag a short, per-daemon token (derived from its data root) */
    public SandboxNetwork(String tag) {
        this(tag, null);
    }

    /**
     * @param tag a short, per-daemon token
     * @param hostNetns the namespace that plays the host (gwbridge, {@value #INGRESS_LINK}, the
     *     tasks' {@code flg*} ends), or {@code null} for the current one, as the daemon runs; tests
     *     give each simulated node its own
     */
    public SandboxNetwork(String tag, String hostNetns) {
        this.prefix = "fl-" + tag + "-";
        this.hostNetns = hostNetns;
        this.here = LinkConfig.in(hostNetns);
    }

    /** The namespace playing the host, {@code null} for the current one. */
    public String hostNetns() {
        return hostNetns;
    }

    /** The MTU of every overlay link made here (task eth, bridge legs, flingress0): underlay MTU - 50. */
    public int overlayMtu() {
        return overlayMtu;
    }

    /**
     * Sets the overlay MTU (underlay MTU - 50) for links made from now on, and moves
     * {@value #INGRESS_LINK} and its bridge leg to it if they exist. Task links made before keep theirs.
     */
    public void setOverlayMtu(int mtu) {
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("overlay MTU " + mtu + " is outside 68..65535");
        }
        if (mtu == overlayMtu) {
            return;
        }
        overlayMtu = mtu;
        String[] peer = ingressPeer;
        if (peer != null && here.linkExists(INGRESS_LINK)) {
            LinkConfig.in(peer[0]).setMtu(peer[1], mtu);
            here.setMtu(INGRESS_LINK, mtu);
        }
        log.debug("Overlay MTU is now {}", mtu);
    }

    public String taskNetns(String taskId) {
        return prefix + "task-" + shortId(taskId);
    }

    public String networkNetns(String networkId) {
        return prefix + "net-" + shortId(networkId);
    }

    /** The gwbridge, its masquerade rule and forwarding: what every task's egress needs. */
    public void setUpNode() {
        if (!here.linkExists(GW_BRIDGE)) {
            here.addBridge(GW_BRIDGE);
            here.addAddress(GW_BRIDGE, gateway(), GW_SUBNET.prefixLength());
        }
        here.setUp(GW_BRIDGE);
        Sysctl.in(hostNetns).set("net.ipv4.ip_forward", "1");
        Nftables.in(hostNetns).deleteTable("ip", NFT_TABLE);
        Nftables.in(hostNetns).apply(String.join("\n",
                "table ip " + NFT_TABLE + " {",
                "  chain postrouting {",
                "    type nat hook postrouting priority srcnat; policy accept;",
                "    ip saddr " + GW_SUBNET + " oifname != \"" + GW_BRIDGE + "\" masquerade",
                "  }",
                "}", ""));
    }

    /**
     * The namespace of a network on this node (bridge {@value #BRIDGE}) and, for the ingress
     * network, the node's own leg on it ({@value #INGRESS_LINK} with {@code nodeAddress}), from
     * which the routing mesh connects to tasks. Idempotent.
     */
    public void ensureNetwork(String networkId, Ipv4Address nodeAddress, int prefixLength) {
        String ns = networkNetns(networkId);
        if (!Netns.exists(ns)) {
            Netns.add(ns);
        }
        LinkConfig net = LinkConfig.in(ns);
        net.setUp("lo");
        if (!net.linkExists(BRIDGE)) {
            net.addBridge(BRIDGE);
        }
        net.setUp(BRIDGE);
        // br_netfilter would run bridged frames through this namespace's IP hooks first.
        Sysctl sysctl = Sysctl.in(ns);
        for (String key : List.of("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
                "net.bridge.bridge-nf-call-arptables")) {
            trySet(sysctl, key, "0");
        }
        if (nodeAddress != null && !here.linkExists(INGRESS_LINK)) {
            String peer = "fli" + shortId(networkId).substring(0, 8);
            here.addVethPair(INGRESS_LINK, peer);
            here.moveToNetns(peer, ns);
            int mtu = overlayMtu;
            net.setMtu(peer, mtu);
            net.setMaster(peer, BRIDGE);
            net.setUp(peer);
            ingressPeer = new String[] {ns, peer};
            here.setMtu(INGRESS_LINK, mtu);
            here.setMacAddress(INGRESS_LINK, MacAddress.fromIpv4(nodeAddress));
            here.addAddress(INGRESS_LINK, nodeAddress, prefixLength);
            here.setUp(INGRESS_LINK);
        }
    }

    /** Removes the namespace of a network no task on this node uses. Idempotent. */
    public void removeNetwork(String networkId) {
        Netns.delete(networkNetns(networkId));
    }

    /** One attachment of a task to a network: the task's address on it. */
    public record Attachment(String networkId, Ipv4Address address, int prefixLength) {
    }

    /**
     * Builds a task's namespace: eth0.. on the networks' bridges (in attachment order), then a
     * leg on the gwbridge with the default route. Three commands and one per network: the
     * namespace, a veth pair per network and one to the gwbridge, each made with both ends in place
     * ({@link LinkConfig#addVethPair(String, int, String, String, String, MacAddress)}), then one
     * batch inside the task's namespace. On failure nothing of it is left.
     */
    public String createTaskSandbox(String taskId, List<Attachment> attachments) {
        String ns = taskNetns(taskId);
        String id = shortId(taskId).substring(0, 10);
        int gwIndex = -1;
        try {
            Netns.add(ns);
            LinkConfig.Batch inside = LinkConfig.in(ns).batch().setUp("lo");
            int mtu = overlayMtu;
            int i = 0;
            for (Attachment a : attachments) {
                String eth = "eth" + i;
                LinkConfig.in(networkNetns(a.networkId()))
                        .addVethPair("vn" + i + id, mtu, BRIDGE, eth, ns, MacAddress.fromIpv4(a.address()));
                inside.addAddress(eth, a.address(), a.prefixLength()).setUp(eth);
                i++;
            }
            gwIndex = allocateGw();
            String eth = "eth" + i;
            here.addVethPair(gwLink(taskId), GW_MTU, GW_BRIDGE, eth, ns, null);
            inside.addAddress(eth, GW_SUBNET.address(gwIndex), GW_SUBNET.prefixLength()).setUp(eth)
                    .addDefaultRoute(gateway());
            inside.run();
            registerGw(taskId, gwIndex);
            return ns;
        } catch (RuntimeException e) {
            if (gwIndex > 0) {
                releaseGw(gwIndex);
            }
            removeTaskSandbox(taskId);
            throw e;
        }
    }

    /**
     * Removes a task's namespace and its links. Idempotent. The gwbridge leg goes first: deleting
     * it takes its peer along at once, while a deleted namespace's links go later, in the kernel's
     * own time, and the leg could vanish under the delete.
     */
    public void removeTaskSandbox(String taskId) {
        here.deleteLink(gwLink(taskId));
        Netns.delete(taskNetns(taskId));
        Integer gw = gwByTask.remove(taskId);
        if (gw != null) {
            releaseGw(gw);
        }
    }

    /** The task's leg on the gwbridge, in the host's namespace. */
    private static String gwLink(String taskId) {
        String id = shortId(taskId);
        return "flg" + id.substring(0, Math.min(10, id.length()));
    }

    /** Removes every namespace, link and rule this daemon (or a killed predecessor) made. */
    public void removeAll() {
        for (String ns : Netns.list()) {
            if (ns.startsWith(prefix)) {
                try {
                    Netns.delete(ns);
                } catch (RuntimeException e) {
                    log.warn("Cannot delete namespace {}: {}", ns, e.getMessage());
                }
            }
        }
        for (String link : here.listLinks("flg")) {
            here.deleteLink(link);
        }
        here.deleteLink(INGRESS_LINK);
        ingressPeer = null;
        here.deleteLink(GW_BRIDGE);
        Nftables.in(hostNetns).deleteTable("ip", NFT_TABLE);
        synchronized (this) {
            gwInUse.clear();
            gwByTask.clear();
        }
    }

    private void registerGw(String taskId, int index) {
        gwByTask.put(taskId, index);
    }

    private synchronized int allocateGw() {
        // .1 is the gateway; the last address is the broadcast.
        int index = gwInUse.nextClearBit(2);
        if (index >= GW_SUBNET.size() - 1) {
            throw new IllegalStateException("the gwbridge subnet " + GW_SUBNET + " is full");
        }
        gwInUse.set(index);
        return index;
    }

    private synchronized void releaseGw(int index) {
        gwInUse.clear(index);
    }

    private static Ipv4Address gateway() {
        return GW_SUBNET.address(1);
    }

    private static void trySet(Sysctl sysctl, String key, String value) {
        try {
            sysctl.set(key, value);
        } catch (RuntimeException e) {
            log.debug("sysctl {} not set: {}", key, e.getMessage());
        }
    }

    static String shortId(String id) {
        return id.length() <= 12 ? id : id.substring(0, 12);
    }
}
