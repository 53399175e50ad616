package dev.flotilla.agent;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dataplane.NetnsEventLoops;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.Ipv4Interface;
import dev.flotilla.dataplane.addr.MacAddress;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.dataplane.link.NetnsExec;
import dev.flotilla.dataplane.link.TproxyVips;
import dev.flotilla.ingress.ProxyOptions;
import dev.flotilla.ingress.VipProxy;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service VIPs, east-west: in the namespace of every user-defined network present on this node, a
 * {@link VipProxy} on loops living in that namespace and the {@link TproxyVips} steering that
 * hands it every connection and datagram to a VIP, programmed from the store.
 *
 * <p>Per network: this node's LB address ({@code Node.lb_addresses}) goes on {@code br0} with the
 * subnet's prefix length (never /32: /32s on br0 are VIPs) and {@code br0} takes the LB address's
 * MAC, so replies from tasks on other nodes, sent through the VTEP to that MAC, reach the proxy.
 * On every pass the VIP set is every VIP on that network of a service in endpoint mode vip, each
 * with its running tasks' addresses there ({@link DiscoveryRecords#vipBackends}); VIPs of removed
 * services are unsteered, then removed from the proxy (their connections close). The ingress
 * network gets none: its VIPs are the routing mesh's. Calls come from the agent's loop.
 */
public final class VipBalancers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VipBalancers.class);
    /** A failed start is tried again on the first pass after this long, not on every pass. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Event loops of each network's proxy: connections spread over them, so two busy streams do not
     * share one core; more than the machine's cores would only add threads.
     */
    static final int LOOPS_PER_NETWORK = Math.min(2, Runtime.getRuntime().availableProcessors());

    private final SandboxNetwork sandboxes;
    private final ProxyOptions options;
    // Guarded by this.
    private final Map<String, Balancer> balancers = new HashMap<>();
    private final Map<String, Long> retryAt = new HashMap<>();
    private final Set<String> warned = new HashSet<>();

    /** One network's proxy, its loops and steering, and what was last programmed. */
    private static final class Balancer {
        final String netns;
        final Ipv4Interface lb;
        final MultiThreadIoEventLoopGroup loops;
        final VipProxy proxy;
        final TproxyVips steering;
        Map<Ipv4Address, List<Ipv4Address>> programmed = Map.of();

        Balancer(String netns, Ipv4Interface lb, MultiThreadIoEventLoopGroup loops, VipProxy proxy, TproxyVips steering) {
            this.netns = netns;
            this.lb = lb;
            this.loops = loops;
            this.proxy = proxy;
            this.steering = steering;
        }
    }

    public VipBalancers(SandboxNetwork sandboxes, ProxyOptions options) {
        this.sandboxes = sandboxes;
        this.options = options;
    }

    /**
     * Programs the balancers of the networks in {@code present} (whose namespaces and bridges
     * exist) from {@code view}; closes those of networks no longer present or without an LB address.
     */
    public synchronized void update(StoreView view, String nodeId, Set<String> present) {
        String ingressId = view.ingressNetwork().map(Network::getId).orElse("");
        Map<String, String> lbAddresses = new HashMap<>();
        view.node(nodeId).ifPresent(n -> {
            for (NetworkAttachment a : n.getLbAddressesList()) {
                lbAddresses.put(a.getNetworkId(), a.getAddress());
            }
        });
        Set<String> wanted = new TreeSet<>();
        for (String id : present) {
            if (!id.equals(ingressId) && lbAddresses.containsKey(id) && view.network(id).isPresent()) {
                wanted.add(id);
            }
        }
        for (String id : Set.copyOf(balancers.keySet())) {
            if (!wanted.contains(id)) {
                remove(id);
            }
        }
        long now = System.nanoTime();
        for (String id : wanted) {
            Balancer b = balancers.get(id);
            Ipv4Interface lb;
            try {
                lb = Ipv4Interface.parse(lbAddresses.get(id));
            } catch (IllegalArgumentException e) {
                continue; // the managers write CIDR; anything else has no balancer to give
            }
            if (b != null && !b.lb.equals(lb)) {
                remove(id);
                b = null;
            }
            try {
                if (b == null) {
                    if (now < retryAt.getOrDefault(id, Long.MIN_VALUE)) {
                        continue;
                    }
                    b = start(id, lb);
                    balancers.put(id, b);
                    retryAt.remove(id);
                }
                program(id, b, DiscoveryRecords.vipBackends(view, id));
                warned.remove(id);
            } catch (RuntimeException e) {
                retryAt.put(id, now + RETRY_NANOS);
                if (warned.add(id)) {
                    log.warn("VIP balancer of network {}: {}", id, e.getMessage(), e);
                }
            }
        }
    }

    /** Closes the balancer of network {@code networkId}, before its namespace is deleted. Idempotent. */
    public synchronized void remove(String networkId) {
        retryAt.remove(networkId);
        Balancer b = balancers.remove(networkId);
        if (b == null) {
            return;
        }
        try {
            b.proxy.close();
        } catch (RuntimeException e) {
            log.warn("VIP proxy of network {} did not close cleanly: {}", networkId, e.getMessage());
        }
        try {
            b.steering.remove();
        } catch (RuntimeException e) {
            log.warn("VIP steering of network {} not removed: {}", networkId, e.getMessage());
        }
        NetnsExec.in(b.netns).run("ip", "addr", "del", b.lb.toString(), "dev", SandboxNetwork.BRIDGE);
        b.loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        log.info("VIP balancer of network {} closed", networkId);
    }

    /** The VIPs the balancer of {@code networkId} serves, with their backends (empty if none). */
    public synchronized Map<Ipv4Address, List<Ipv4Address>> programmed(String networkId) {
        Balancer b = balancers.get(networkId);
        return b == null ? Map.of() : b.programmed;
    }

    private Balancer start(String networkId, Ipv4Interface lb) {
        String netns = sandboxes.networkNetns(networkId);
        LinkConfig net = LinkConfig.in(netns);
        net.setMacAddress(SandboxNetwork.BRIDGE, MacAddress.fromIpv4(lb.address()));
        NetnsExec.in(netns).run("ip", "addr", "replace", lb.toString(), "dev", SandboxNetwork.BRIDGE)
                .checked();
        MultiThreadIoEventLoopGroup loops = NetnsEventLoops.inNamespace(netns, LOOPS_PER_NETWORK);
        VipProxy proxy = null;
        try {
            proxy = VipProxy.start(loops, lb.address().toInetAddress(), 0, 0, options);
            TproxyVips steering = TproxyVips.in(netns, SandboxNetwork.BRIDGE);
            steering.install(proxy.tcpPort(), proxy.udpPort());
            log.info("VIP balancer of network {} in {} from {}: tcp {} udp {}", networkId, netns, lb,
                    proxy.tcpPort(), proxy.udpPort());
            return new Balancer(netns, lb, loops, proxy, steering);
        } catch (RuntimeException e) {
            if (proxy != null) {
                proxy.close();
            }
            try {
                TproxyVips.in(netns, SandboxNetwork.BRIDGE).remove();
            } catch (RuntimeException ignored) {
                // The namespace may be half set up; the next attempt installs again.
            }
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static void program(String networkId, Balancer b, Map<Ipv4Address, List<Ipv4Address>> wanted) {
        if (wanted.equals(b.programmed)) {
            return;
        }
        if (!wanted.keySet().equals(b.programmed.keySet())) {
            b.steering.setVips(wanted.keySet());
        }
        for (Map.Entry<Ipv4Address, List<Ipv4Address>> e : wanted.entrySet()) {
            if (!e.getValue().equals(b.programmed.get(e.getKey()))) {
                b.proxy.setBackends(e.getKey().toInetAddress(),
                        e.getValue().stream().map(Ipv4Address::toInetAddress).toList());
            }
        }
        for (Ipv4Address gone : b.programmed.keySet()) {
            if (!wanted.containsKey(gone)) {
                b.proxy.removeVip(gone.toInetAddress());
            }
        }
        log.debug("VIP balancer of network {}: {}", networkId, wanted);
        b.programmed = Map.copyOf(wanted);
    }

    /** Closes every balancer. */
    @Override
    public synchronized void close() {
        Set.copyOf(balancers.keySet()).forEach(this::remove);
    }
}
