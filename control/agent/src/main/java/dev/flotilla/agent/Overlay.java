package dev.flotilla.agent;

import dev.flotilla.api.v1.Network;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.link.LinkConfig;
import dev.flotilla.vxlan.Endpoint;
import dev.flotilla.vxlan.Vtep;
import dev.flotilla.vxlan.VtepConfig;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.NetworkInterface;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of every overlay network, programmed from the store: one {@link Vtep} bound on
 * the node's underlay address ({@code Node.addr}) and the cluster's {@code data_path_port}, a TAP
 * {@value #TAP} on {@code br0} in the namespace of each network present here, each network's
 * endpoint table and the set of nodes VXLAN is accepted from ({@link OverlayTables}).
 *
 * <p>The VTEP binds lazily, once the store knows this node's address, and binds again when the
 * address or port changes. Its sockets are created on {@code loops}, so they live in the
 * namespace of those loops' threads (the daemon's own; a test's node namespace). The MTU of the
 * underlay interface holding the address, less 50, becomes the MTU of every overlay link:
 * {@value #TAP}, and through {@link SandboxNetwork#setOverlayMtu} task links and {@code flingress0}.
 *
 * <p>Calls are serialized (the agent's loop makes them); a failure to bind or to attach one
 * network is logged at WARN once and retried on the first pass a second later, without stopping
 * the others.
 */
public final class Overlay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Overlay.class);

    /** The VTEP's TAP in each network namespace. */
    static final String TAP = "vtep0";
    private static final long MTU_LOOKUP_SECONDS = 5;
    /** A failed bind or attach is tried again on the first pass after this long, not on every pass. */
    static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final IoEventLoopGroup loops;
    private final SandboxNetwork sandboxes;

    // All guarded by this.
    private Vtep vtep;
    private Ipv4Address boundAddress;
    private int boundPort;
    /** Network id -> VNI, for networks whose TAP is attached. */
    private final Map<String, Integer> attached = new HashMap<>();
    /** VNI -> the table last given to the VTEP. */
    private final Map<Integer, List<Endpoint>> programmed = new HashMap<>();
    private Set<Ipv4Address> programmedPeers = Set.of();
    /** Failures already logged at WARN, so a retry every pass does not flood the log. */
    private final Set<String> warned = new HashSet<>();
    /** When a failed bind, or a network's failed attach, may be tried again (System.nanoTime). */
    private long bindRetryAt;
    private String failedBind;
    private final Map<String, Long> attachRetryAt = new HashMap<>();
    private boolean closed;

    /**
     * @param loops an epoll group whose threads live in this node's namespace; stays the caller's
     * @param sandboxes the node's namespaces and links, whose network namespaces get the TAPs
     */
    public Overlay(IoEventLoopGroup loops, SandboxNetwork sandboxes) {
        this.loops = Objects.requireNonNull(loops, "loops");
        this.sandboxes = Objects.requireNonNull(sandboxes, "sandboxes");
    }

    /**
     * Binds the VTEP if the store knows this node's address and it is not bound there yet, and
     * sets the overlay MTU on {@link SandboxNetwork}. Call it before namespaces and task links are
     * made, so they get the right MTU; {@link #update} calls it too.
     *
     * @return whether the VTEP is bound
     */
    public synchronized boolean prepare(StoreView view, String nodeId) {
        if (closed) {
            return false;
        }
        Optional<Ipv4Address> address = OverlayTables.underlayAddress(view, nodeId);
        if (address.isEmpty()) {
            return vtep != null; // keep what we have; the store will say more
        }
        int port = OverlayTables.dataPathPort(view);
        if (vtep != null && address.get().equals(boundAddress) && port == boundPort) {
            return true;
        }
        if (vtep != null) {
            log.info("Underlay moved from {}:{} to {}:{}; binding the VTEP again", boundAddress, boundPort,
                    address.get(), port);
            closeVtep();
        }
        String target = address.get() + ":" + port;
        if (target.equals(failedBind) && System.nanoTime() - bindRetryAt < 0) {
            return false;
        }
        int underlayMtu = underlayMtu(address.get());
        VtepConfig config = new VtepConfig(address.get().toInetAddress(), port, underlayMtu);
        try {
            vtep = Vtep.bind(loops, config);
            failedBind = null;
        } catch (RuntimeException e) {
            failedBind = target;
            bindRetryAt = System.nanoTime() + RETRY_NANOS;
            warnOnce("bind " + address.get() + ":" + port, "Cannot bind the VTEP on udp {}:{}: {}; retrying",
                    address.get(), port, e.getMessage());
            return false;
        }
        boundAddress = address.get();
        boundPort = port;
        warned.removeIf(w -> w.startsWith("bind "));
        sandboxes.setOverlayMtu(config.innerMtu());
        log.info("Overlay VTEP on udp {}:{}, underlay MTU {}, overlay MTU {}", boundAddress, boundPort, underlayMtu,
                config.innerMtu());
        return true;
    }

    /**
     * Brings the VTEP in line with the store: a TAP for every network in {@code networksHere}
     * (whose namespace and {@code br0} exist), none for the others, each attached network's
     * endpoint table and the peer set. Cheap when nothing changed.
     *
     * @param networksHere ids of the networks whose namespaces exist on this node now
     */
    public synchronized void update(StoreView view, String nodeId, Set<String> networksHere) {
        if (!prepare(view, nodeId)) {
            return;
        }
        // Detach first: a VNI freed by one network may be taken by another.
        for (String id : List.copyOf(attached.keySet())) {
            Optional<Network> n = view.network(id);
            if (!networksHere.contains(id) || n.isEmpty() || n.get().getVni() != attached.get(id)) {
                detach(id);
            }
        }
        attachRetryAt.keySet().retainAll(networksHere);
        for (String id : networksHere) {
            Long retryAt = attachRetryAt.get(id);
            if (!attached.containsKey(id) && (retryAt == null || System.nanoTime() - retryAt >= 0)) {
                view.network(id).ifPresent(this::attach);
            }
        }
        for (Map.Entry<String, Integer> e : attached.entrySet()) {
            Network network = view.network(e.getKey()).orElseThrow();
            List<Endpoint> table = OverlayTables.endpoints(view, nodeId, network);
            List<Endpoint> before = programmed.get(e.getValue());
            if (!table.equals(before)) {
                try {
                    vtep.setEndpoints(e.getValue(), table);
                    programmed.put(e.getValue(), table);
                    if (log.isDebugEnabled()) {
                        log.debug("VNI {} ({}): {} endpoint(s) {}", e.getValue(), network.getSpec().getName(),
                                table.size(), table);
                    }
                } catch (RuntimeException ex) {
                    warnOnce("fdb " + e.getKey(), "Cannot program endpoints of network {}: {}", e.getKey(),
                            ex.getMessage());
                }
            }
        }
        Set<Ipv4Address> peers = OverlayTables.peers(view, nodeId);
        if (!peers.equals(programmedPeers)) {
            vtep.setPeers(peers);
            programmedPeers = peers;
            log.debug("VXLAN accepted from {}", peers);
        }
    }

    /** The VTEP, once bound (counters, tables). */
    public synchronized Optional<Vtep> vtep() {
        return Optional.ofNullable(vtep);
    }

    /** VNIs of the networks attached now, by network id. */
    public synchronized Map<String, Integer> attachedNetworks() {
        return new TreeMap<>(attached);
    }

    private void attach(Network network) {
        String id = network.getId();
        int vni = network.getVni();
        String ns = sandboxes.networkNetns(id);
        try {
            vtep.attach(vni, ns, TAP);
            try {
                LinkConfig links = LinkConfig.in(ns);
                links.setMtu(TAP, vtep.config().innerMtu());
                links.setMaster(TAP, SandboxNetwork.BRIDGE);
                links.setUp(TAP);
            } catch (RuntimeException e) {
                vtep.detach(vni);
                throw e;
            }
        } catch (RuntimeException e) {
            attachRetryAt.put(id, System.nanoTime() + RETRY_NANOS);
            warnOnce("attach " + id, "Cannot attach network {} (VNI {}) to the VTEP: {}; retrying", id, vni,
                    e.getMessage());
            return;
        }
        attached.put(id, vni);
        attachRetryAt.remove(id);
        warned.remove("attach " + id);
        log.info("Network {} ({}) on the overlay: VNI {}, TAP {} in {}", network.getSpec().getName(), id, vni, TAP, ns);
    }

    private void detach(String id) {
        int vni = attached.remove(id);
        programmed.remove(vni);
        warned.remove("fdb " + id);
        vtep.forwardingDb().remove(vni);
        try {
            vtep.detach(vni);
        } catch (RuntimeException e) {
            log.warn("Network {} (VNI {}): TAP not closed cleanly: {}", id, vni, e.getMessage());
            return;
        }
        log.info("Network {} left the overlay: VNI {} detached", id, vni);
    }

    private void closeVtep() {
        Vtep old = vtep;
        vtep = null;
        boundAddress = null;
        boundPort = 0;
        attached.clear();
        programmed.clear();
        programmedPeers = Set.of();
        old.close();
    }

    /**
     * The MTU of the interface holding {@code address}, asked from a thread of {@code loops} (the
     * interface list is per namespace, and so are those threads); 1500 when it cannot be found.
     */
    private int underlayMtu(Ipv4Address address) {
        try {
            Future<Integer> lookup = loops.next().submit(() -> {
                NetworkInterface nic = NetworkInterface.getByInetAddress(address.toInetAddress());
                return nic == null ? -1 : nic.getMTU();
            });
            if (lookup.await(MTU_LOOKUP_SECONDS, TimeUnit.SECONDS) && lookup.isSuccess()) {
                int mtu = lookup.getNow();
                if (mtu >= 576 && mtu <= 65535) {
                    return mtu;
                }
            }
            warnOnce("mtu " + address, "No interface holds {} here (or its MTU is unusable); assuming an underlay MTU of {}",
                    address, VtepConfig.DEFAULT_UNDERLAY_MTU);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return VtepConfig.DEFAULT_UNDERLAY_MTU;
    }

    private void warnOnce(String key, String format, Object... args) {
        if (warned.add(key)) {
            log.warn(format, args);
        } else {
            log.debug(format, args);
        }
    }

    /** Detaches every network and closes the VTEP's sockets; the loops stay the caller's. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (vtep != null) {
            closeVtep();
        }
    }
}
