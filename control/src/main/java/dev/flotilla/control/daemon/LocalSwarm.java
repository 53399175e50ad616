package dev.flotilla.control.daemon;

import dev.flotilla.control.api.ControlService;
import dev.flotilla.control.api.Errors;
import dev.flotilla.control.api.v1.ActionKind;
import dev.flotilla.control.api.v1.Cluster;
import dev.flotilla.control.api.v1.InitSwarmRequest;
import dev.flotilla.control.api.v1.InitSwarmResponse;
import dev.flotilla.control.api.v1.JoinTokenResponse;
import dev.flotilla.control.api.v1.JoinTokens;
import dev.flotilla.control.api.v1.Network;
import dev.flotilla.control.api.v1.NetworkSpec;
import dev.flotilla.control.api.v1.Node;
import dev.flotilla.control.api.v1.NodeAvailability;
import dev.flotilla.control.api.v1.NodeRole;
import dev.flotilla.control.api.v1.NodeState;
import dev.flotilla.control.api.v1.StoreAction;
import dev.flotilla.control.manager.Actions;
import dev.flotilla.control.manager.CertificateAuthority;
import dev.flotilla.control.manager.JoinToken;
import dev.flotilla.control.manager.Manager;
import dev.flotilla.control.manager.Orchestrator;
import dev.flotilla.control.raft.RaftNode;
import dev.flotilla.control.store.MemoryStore;
import dev.flotilla.control.util.Ids;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** This node's membership: none until {@code swarm init}, then a one-member Raft group it leads. */
public final class LocalSwarm implements ControlService.Swarm, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalSwarm.class);

    /** Docker's default address pool and Flotilla's default subnet size (see REFERENCE.md). */
    static final String DEFAULT_ADDR_POOL = "10.0.0.0/8";
    static final int DEFAULT_SUBNET_SIZE = 20;
    static final int DEFAULT_DATA_PATH_PORT = 4789;
    static final int FIRST_VNI = 4096;
    static final int MANAGER_PORT = 2377;

    private final Path stateFile;
    private final Path raftDir;
    private final String hostname;
    private final BiConsumer<Manager, String> onManager;
    private final Runnable onLeave;
    private final Object lock = new Object();
    // Guarded by lock for writes; volatile for the API threads that read it.
    private volatile SwarmState state;
    private volatile RaftNode raft;
    private volatile Manager manager;

    /**
     * @param onManager called when this node becomes a manager (init, or restart into a swarm)
     * @param onLeave   called when it leaves, before its Raft member stops: stop its tasks
     */
    public LocalSwarm(Path dataRoot, String hostname, BiConsumer<Manager, String> onManager, Runnable onLeave) {
        this.stateFile = dataRoot.resolve("swarm").resolve("state.json");
        this.raftDir = dataRoot.resolve("raft");
        this.hostname = hostname;
        this.onManager = onManager;
        this.onLeave = onLeave;
    }

    /** Rejoins the swarm this node was in before it stopped, if any. */
    public void start() throws IOException {
        Optional<SwarmState> saved = SwarmState.load(stateFile);
        if (saved.isPresent()) {
            synchronized (lock) {
                state = saved.get();
                startManager(state);
            }
            log.info("Rejoined swarm as node {} ({})", state.nodeId(), state.advertiseAddr());
        }
    }

    @Override
    public Optional<Manager> manager() {
        return Optional.ofNullable(manager);
    }

    @Override
    public String nodeId() {
        SwarmState s = state;
        return s == null ? "" : s.nodeId();
    }

    public Optional<SwarmState> state() {
        return Optional.ofNullable(state);
    }

    @Override
    public InitSwarmResponse init(InitSwarmRequest request) {
        synchronized (lock) {
            if (state != null) {
                throw Errors.precondition(Errors.ALREADY_IN_SWARM);
            }
            String addr = request.getAdvertiseAddr().isEmpty() ? defaultAdvertiseAddr() : checkLocal(request.getAdvertiseAddr());
            String pool = request.getDefaultAddrPool().isEmpty() ? DEFAULT_ADDR_POOL : request.getDefaultAddrPool();
            int size = request.getDefaultAddrPoolMaskLength() == 0 ? DEFAULT_SUBNET_SIZE : request.getDefaultAddrPoolMaskLength();
            Ipv4Prefix poolPrefix = parsePool(pool, size);
            SwarmState fresh = new SwarmState(Ids.newId(), UUID.randomUUID(), addr, RaftNode.DEFAULT_PORT);
            try {
                startManager(fresh);
                // The Raft client retries until the one-member group has elected itself.
                manager.write(initialObjects(fresh, poolPrefix, size, request.getDataPathPort()));
                fresh.save(stateFile);
            } catch (RuntimeException | IOException e) {
                abandon();
                if (e instanceof RuntimeException re) {
                    throw re;
                }
                throw new UncheckedIOException((IOException) e);
            }
            state = fresh;
            log.info("Swarm initialized: node {} is now a manager ({}:{})", fresh.nodeId(), addr, MANAGER_PORT);
            Cluster cluster = manager.view().cluster().orElseThrow();
            return InitSwarmResponse.newBuilder()
                    .setNodeId(fresh.nodeId())
                    .setWorkerToken(cluster.getJoinTokens().getWorker())
                    .setManagerAddr(addr + ":" + MANAGER_PORT)
                    .build();
        }
    }

    @Override
    public void leave(boolean force) {
        synchronized (lock) {
            if (state == null) {
                throw Errors.precondition("This node is not part of a swarm");
            }
            if (!force) {
                throw Errors.precondition("You are attempting to leave the swarm on a node that is participating "
                        + "as a manager. Removing the last manager erases all current state of the swarm. "
                        + "Use `--force` to ignore this message.");
            }
            onLeave.run();
            closeQuietly();
            try {
                Files.deleteIfExists(stateFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + stateFile, e);
            }
            deleteTree(raftDir);
            log.info("Node {} left the swarm; its swarm state is erased", state.nodeId());
            state = null;
        }
    }

    @Override
    public JoinTokenResponse joinToken(NodeRole role, boolean rotate) {
        Manager m = manager().orElseThrow(() -> Errors.precondition(Errors.NOT_A_MANAGER));
        Cluster cluster = m.view().cluster().orElseThrow(() -> Errors.internal("the swarm has no cluster object"));
        if (rotate) {
            byte[] caDer = CertificateAuthority.fromPem(cluster.getRootCaCertPem(), cluster.getRootCaKeyPem()).certificateDer();
            JoinTokens.Builder tokens = cluster.getJoinTokens().toBuilder();
            String fresh = JoinToken.generate(caDer).toString();
            if (role == NodeRole.MANAGER) {
                tokens.setManager(fresh);
            } else {
                tokens.setWorker(fresh);
            }
            m.write(List.of(StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE)
                    .setCluster(cluster.toBuilder().setJoinTokens(tokens)).build()));
            cluster = m.view().cluster().orElseThrow();
        }
        String token = role == NodeRole.MANAGER ? cluster.getJoinTokens().getManager() : cluster.getJoinTokens().getWorker();
        return JoinTokenResponse.newBuilder().setToken(token).setManagerAddr(state.advertiseAddr() + ":" + MANAGER_PORT).build();
    }

    private List<StoreAction> initialObjects(SwarmState s, Ipv4Prefix pool, int size, int dataPathPort) {
        long now = System.currentTimeMillis();
        CertificateAuthority ca = CertificateAuthority.create();
        byte[] der = ca.certificateDer();
        Cluster cluster = Cluster.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(now))
                .setRootCaCertPem(ca.certificatePem())
                .setRootCaKeyPem(ca.privateKeyPem())
                .setJoinTokens(JoinTokens.newBuilder()
                        .setWorker(JoinToken.generate(der).toString())
                        .setManager(JoinToken.generate(der).toString()))
                .setDefaultAddrPool(pool.toString())
                .setSubnetSize(size)
                .setDataPathPort(dataPathPort == 0 ? DEFAULT_DATA_PATH_PORT : dataPathPort)
                .setTaskHistoryLimit(Orchestrator.DEFAULT_HISTORY_LIMIT)
                .build();
        Node node = Node.newBuilder()
                .setId(s.nodeId())
                .setMeta(Actions.meta(now))
                .setRole(NodeRole.MANAGER)
                .setAvailability(NodeAvailability.ACTIVE)
                .setHostname(hostname)
                .setEngineVersion(Version.VERSION)
                .setState(NodeState.NODE_READY)
                .setAddr(s.advertiseAddr())
                .setLeader(true)
                .build();
        Ipv4Prefix subnet = new Ipv4Prefix(pool.network(), size);
        Network ingress = Network.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(now))
                .setSpec(NetworkSpec.newBuilder()
                        .setName("ingress")
                        .setDriver("overlay")
                        .setSubnet(subnet.toString())
                        .setGateway(subnet.address(1).toString())
                        .setIngress(true))
                .setVni(FIRST_VNI)
                .build();
        return List.of(
                StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setCluster(cluster).build(),
                Actions.create(node),
                Actions.create(ingress));
    }

    private static Ipv4Prefix parsePool(String pool, int size) {
        Ipv4Prefix prefix;
        try {
            prefix = Ipv4Prefix.parse(pool);
        } catch (IllegalArgumentException e) {
            throw Errors.invalid("invalid default address pool \"" + pool + "\": " + e.getMessage());
        }
        if (size < prefix.prefixLength() || size > 29) {
            throw Errors.invalid("invalid default address pool mask length " + size
                    + ": it must be between " + prefix.prefixLength() + " and 29");
        }
        return prefix;
    }

    private void startManager(SwarmState s) {
        MemoryStore store = new MemoryStore();
        try {
            raft = RaftNode.start(raftDir, s.raftGroupId(), s.nodeId(), s.advertiseAddr(), s.raftPort(),
                    List.of(RaftNode.peer(s.nodeId(), s.advertiseAddr() + ":" + s.raftPort())), store);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Raft on " + s.advertiseAddr() + ":" + s.raftPort(), e);
        }
        manager = new Manager(raft, store, Clock.systemUTC(), Orchestrator.DEFAULT_HISTORY_LIMIT);
        manager.start();
        onManager.accept(manager, s.nodeId());
    }

    /** Undoes a failed init: no Raft member, no log, no state file. */
    private void abandon() {
        closeQuietly();
        deleteTree(raftDir);
    }

    private static String checkLocal(String addr) {
        try {
            InetAddress a = InetAddress.getByName(addr);
            if (NetworkInterface.getByInetAddress(a) == null) {
                throw Errors.invalid("advertise address must be a non-zero IP address or network interface: "
                        + addr + " is not an address of this node");
            }
            return a.getHostAddress();
        } catch (IOException e) {
            throw Errors.invalid("invalid advertise address " + addr + ": " + e.getMessage());
        }
    }

    private static String defaultAdvertiseAddr() {
        try {
            List<String> addrs = NetworkInterface.networkInterfaces()
                    .filter(LocalSwarm::isUp)
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                    .map(InetAddress::getHostAddress)
                    .distinct()
                    .toList();
            if (addrs.size() == 1) {
                return addrs.get(0);
            }
            throw Errors.invalid("could not choose an IP address to advertise since this system has "
                    + (addrs.isEmpty() ? "no usable address" : "multiple addresses " + addrs)
                    + " - specify one with --advertise-addr");
        } catch (SocketException e) {
            throw Errors.internal("cannot list network interfaces: " + e.getMessage());
        }
    }

    private static boolean isUp(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback() && !i.getName().startsWith("fl");
        } catch (SocketException e) {
            return false;
        }
    }

    private void closeQuietly() {
        Manager m = manager;
        manager = null;
        if (m != null) {
            m.close();
        }
        RaftNode r = raft;
        raft = null;
        if (r != null) {
            try {
                r.close();
            } catch (IOException | RuntimeException e) {
                log.warn("Raft did not close cleanly: {}", e.toString());
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("Cannot remove {}: {}", dir, e.toString());
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}
