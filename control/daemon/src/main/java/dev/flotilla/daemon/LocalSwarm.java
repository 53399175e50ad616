package dev.flotilla.daemon;

import dev.flotilla.manager.controlapi.ControlService;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.InitSwarmResponse;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.api.v1.JoinTokenResponse;
import dev.flotilla.api.v1.JoinTokens;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.agent.WorkerSession;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.manager.ClusterListener;
import dev.flotilla.manager.Dispatcher;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.manager.Manager;
import dev.flotilla.manager.ManagerStatuses;
import dev.flotilla.manager.Orchestrator;
import dev.flotilla.manager.raft.RaftNode;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.SwitchableConnection;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.common.Ids;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership: none until {@code swarm init} (a one-member Raft group it leads, the CA,
 * port 2377) or {@code swarm join} (a worker: a node certificate and a session with the leader).
 */
public final class LocalSwarm implements ControlService.Swarm, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalSwarm.class);

    /** Docker's default address pool and Flotilla's default subnet size (see REFERENCE.md). */
    static final String DEFAULT_ADDR_POOL = "10.0.0.0/8";
    static final int DEFAULT_SUBNET_SIZE = 20;
    static final int DEFAULT_DATA_PATH_PORT = 4789;
    static final int FIRST_VNI = 4096;
    static final int MANAGER_PORT = ClusterListener.PORT;
    /** How long {@code swarm join} waits for the manager to accept the node's session. */
    static final long JOIN_WAIT_MS = 15_000;
    /** How long a restarted manager waits for its Raft log to be replayed into the store. */
    static final long REPLAY_WAIT_MS = 10_000;

    private final Path stateFile;
    private final Path raftDir;
    private final Path certDir;
    private final String hostname;
    private final BiConsumer<ClusterConnection, String> onMember;
    private final Runnable onLeave;
    private final Object lock = new Object();
    // Guarded by lock for writes; volatile for the API threads that read it.
    private volatile SwarmState state;
    private volatile RaftNode raft;
    private volatile Manager manager;
    private volatile Dispatcher dispatcher;
    private volatile ClusterListener listener;
    private volatile WorkerSession worker;
    private volatile NodeCertificate identity;
    // The agent's connection while this node is a member; its delegate changes with the role.
    private volatile SwitchableConnection connection;
    private final AtomicBoolean roleChanging = new AtomicBoolean();
    private final ExecutorService roleChanges = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fl-role");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param onMember called when this node enters a swarm (init, join, or restart into one) with
     *                 its view of the cluster: the replicated store, or a worker's session
     * @param onLeave  called when it leaves, before its Raft member or session stops: stop its tasks
     */
    public LocalSwarm(Path dataRoot, String hostname, BiConsumer<ClusterConnection, String> onMember, Runnable onLeave) {
        this.stateFile = dataRoot.resolve("swarm").resolve("state.json");
        this.raftDir = dataRoot.resolve("raft");
        this.certDir = dataRoot.resolve("certificates");
        this.hostname = hostname;
        this.onMember = onMember;
        this.onLeave = onLeave;
    }

    /** Rejoins the swarm this node was in before it stopped, if any. */
    public void start() throws IOException {
        Optional<SwarmState> saved = SwarmState.load(stateFile);
        if (saved.isPresent()) {
            synchronized (lock) {
                state = saved.get();
                NodeCertificate identity = NodeCertificate.load(certDir).orElse(null);
                if (state.isWorker()) {
                    if (identity == null) {
                        throw new IOException("this worker's certificate is missing from " + certDir
                                + ": leave the swarm (flotilla swarm leave) and join it again");
                    }
                    startWorker(state, identity);
                    enter(worker, state.nodeId());
                } else {
                    if (identity == null) {
                        throw new IOException("this manager's certificate is missing from " + certDir
                                + ": leave the swarm (flotilla swarm leave --force) and init or join again");
                    }
                    startManager(state, identity, List.of(RaftNode.peer(state.nodeId(), raftAddr(state))), List.of());
                    if (!raft.awaitReplay(REPLAY_WAIT_MS)) {
                        log.warn("The Raft log was not replayed within {} s: answering from the store as it is", REPLAY_WAIT_MS / 1000);
                    }
                    enter(manager, state.nodeId());
                    startListener(identity);
                }
            }
            log.info("Rejoined swarm as {} node {} ({})", state.role(), state.nodeId(), state.advertiseAddr());
        }
    }

    @Override
    public Optional<Manager> manager() {
        return Optional.ofNullable(manager);
    }

    @Override
    public Optional<ClusterConnection> connection() {
        Manager m = manager;
        return m != null ? Optional.of(m) : Optional.ofNullable(worker);
    }

    @Override
    public String notManagerMessage() {
        SwarmState s = state;
        return s != null && s.isWorker() ? Errors.WORKER_NOT_MANAGER : Errors.NOT_A_MANAGER;
    }

    @Override
    public List<String> managers() {
        WorkerSession w = worker;
        if (w != null) {
            return w.managers();
        }
        Manager m = manager;
        return m == null ? List.of() : Dispatcher.managers(m.view());
    }

    @Override
    public java.util.Map<String, dev.flotilla.api.v1.ManagerStatus> managerStatuses() {
        Manager m = manager;
        NodeCertificate id = identity;
        if (m == null || id == null) {
            return java.util.Map.of();
        }
        return ManagerStatuses.live(m.raft(), m.view().nodes(), leaderAddr -> NodeJoin.memberStatus(id, leaderAddr));
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
            long heartbeat = request.getDispatcherHeartbeatMs();
            if (heartbeat < 0 || (heartbeat > 0 && heartbeat < 100)) {
                throw Errors.invalid("invalid dispatcher heartbeat period: it must be at least 100ms");
            }
            SwarmState fresh = new SwarmState(Ids.newId(), UUID.randomUUID(), addr, RaftNode.DEFAULT_PORT,
                    SwarmState.MANAGER, List.of());
            CertificateAuthority ca = CertificateAuthority.create();
            String clusterId = Ids.newId();
            NodeCertificate identity = NodeCertificate.selfIssued(ca, fresh.nodeId(), addr, clusterId);
            try {
                identity.save(certDir);
                startManager(fresh, identity, List.of(RaftNode.peer(fresh.nodeId(), raftAddr(fresh))), List.of());
                enter(manager, fresh.nodeId());
                // The Raft client retries until the one-member group has elected itself.
                manager.write(initialObjects(fresh, ca, clusterId, poolPrefix, size, request.getDataPathPort(),
                        heartbeat == 0 ? Dispatcher.DEFAULT_HEARTBEAT_MS : heartbeat));
                startListener(identity);
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
            if (state.isWorker()) {
                // Tasks stop first, so their last status still reaches the manager.
                onLeave.run();
                WorkerSession w = worker;
                if (w != null) {
                    w.leave();
                }
                closeQuietly();
                erase();
                log.info("Node {} left the swarm", state.nodeId());
                state = null;
                return;
            }
            int members = raft == null ? 1 : raft.members().size();
            if (!force) {
                if (members <= 1) {
                    throw Errors.precondition("You are attempting to leave the swarm on a node that is participating "
                            + "as a manager. Removing the last manager erases all current state of the swarm. "
                            + "Use `--force` to ignore this message.");
                }
                throw Errors.precondition("You are attempting to leave the swarm on a node that is participating as a "
                        + "manager. Removing this node leaves " + (members - 1) + " managers out of " + members
                        + ". Without a Raft quorum your swarm will be inaccessible. Use `--force` to suppress this message.");
            }
            if (members > 1 && !ManagerStatuses.canRemove(managerStatuses(), state.nodeId())) {
                throw Errors.precondition(ManagerStatuses.QUORUM_LOSS);
            }
            onLeave.run();
            if (members > 1) {
                leaveRaft(state.nodeId());
            }
            closeQuietly();
            erase();
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

    private List<StoreAction> initialObjects(SwarmState s, CertificateAuthority ca, String clusterId, Ipv4Prefix pool, int size,
            int dataPathPort, long heartbeatMs) {
        long now = System.currentTimeMillis();
        byte[] der = ca.certificateDer();
        Cluster cluster = Cluster.newBuilder()
                .setId(clusterId)
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
                .setHeartbeatPeriodMs(heartbeatMs)
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

    /**
     * Starts this node's Raft member, the manager loops and the dispatcher.
     *
     * @param serverPeers the group to start with when there is no Raft log yet
     * @param knownPeers  where the Raft client first looks for the leader (empty: serverPeers)
     */
    private void startManager(SwarmState s, NodeCertificate identity, List<RaftNode.Peer> serverPeers, List<RaftNode.Peer> knownPeers) {
        MemoryStore store = new MemoryStore();
        try {
            raft = RaftNode.start(raftDir, s.raftGroupId(), s.nodeId(), s.advertiseAddr(), s.raftPort(),
                    serverPeers, knownPeers.isEmpty() ? serverPeers : knownPeers, store, identity);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Raft on " + raftAddr(s), e);
        }
        manager = new Manager(raft, store, Clock.systemUTC(), Orchestrator.DEFAULT_HISTORY_LIMIT);
        manager.start();
        dispatcher = new Dispatcher(manager, s.nodeId());
        dispatcher.start();
        this.identity = identity;
    }

    private static String raftAddr(SwarmState s) {
        return s.advertiseAddr() + ":" + s.raftPort();
    }

    private void startListener(NodeCertificate identity) {
        listener = ClusterListener.start(MANAGER_PORT, identity, manager, dispatcher);
    }

    private void startWorker(SwarmState s, NodeCertificate identity) {
        WorkerSession w = new WorkerSession(identity, SessionRequest.newBuilder()
                .setHostname(hostname).setEngineVersion(Version.VERSION).setAddr(s.advertiseAddr()).build(), s.managers());
        worker = w;
        this.identity = identity;
        // The managers a worker knows are remembered, so a restart finds the swarm after failovers.
        w.addListener(v -> {
            SwarmState seen = state;
            if (seen == null || !seen.isWorker() || w.managers().isEmpty() || w.managers().equals(seen.managers())) {
                return;
            }
            synchronized (lock) {
                SwarmState now = state;
                if (worker != w || now == null || !now.isWorker()) {
                    return;
                }
                SwarmState next = new SwarmState(now.nodeId(), null, now.advertiseAddr(), now.raftPort(),
                        SwarmState.WORKER, w.managers());
                try {
                    next.save(stateFile);
                    state = next;
                } catch (IOException e) {
                    log.warn("Cannot record the managers this node knows: {}", e.getMessage());
                }
            }
        });
        w.start();
    }

    /** Gives the agent its connection the first time, and switches it on a role change. */
    private void enter(ClusterConnection c, String nodeId) {
        SwitchableConnection sc = connection;
        if (sc != null) {
            sc.switchTo(c);
            return;
        }
        sc = new SwitchableConnection(c);
        connection = sc;
        sc.addListener(this::watchRole);
        onMember.accept(sc, nodeId);
    }

    /** A promotion or demotion of this node, seen in the store, is carried out off the event thread. */
    private void watchRole(StoreView view) {
        SwarmState s = state;
        if (s == null || roleChanging.get()) {
            return;
        }
        Optional<Node> self = view.node(s.nodeId());
        if (self.isEmpty()) {
            return;
        }
        boolean wantManager = self.get().getRole() == NodeRole.MANAGER;
        if (wantManager == s.isWorker() && roleChanging.compareAndSet(false, true)) {
            roleChanges.execute(() -> {
                try {
                    if (wantManager) {
                        promote();
                    } else {
                        demote();
                    }
                } catch (RuntimeException e) {
                    log.error("Changing this node's role failed: {}", e.getMessage());
                } finally {
                    roleChanging.set(false);
                }
            });
        }
    }

    /** Worker -> manager: a manager certificate, a Raft member added to the group, the agent switched over. */
    private void promote() {
        synchronized (lock) {
            SwarmState s = state;
            WorkerSession w = worker;
            if (s == null || !s.isWorker() || w == null) {
                return;
            }
            log.info("This node was promoted: becoming a manager");
            // The list already names this node (the store makes it a manager), whose own listener
            // knows nothing yet: the others are asked, or the error would be this node's own.
            List<String> others = w.managers().stream().filter(a -> !a.equals(s.advertiseAddr() + ":" + MANAGER_PORT)).toList();
            JoinResponse[] answer = new JoinResponse[1];
            NodeCertificate managerId = NodeJoin.renew(identity, others, CertificateAuthority.newKeyPair(), answer);
            SwarmState next = new SwarmState(s.nodeId(), UUID.fromString(answer[0].getRaftGroupId()), s.advertiseAddr(),
                    RaftNode.DEFAULT_PORT, SwarmState.MANAGER, List.of());
            List<RaftNode.Peer> known = answer[0].getRaftMembersList().stream()
                    .map(m -> RaftNode.peer(m.getId(), m.getAddr())).toList();
            try {
                startManager(next, managerId, List.of(), known);
                startListener(managerId);
                NodeJoin.addToRaft(managerId, others, raftAddr(next));
                awaitOwnNode(next.nodeId());
                managerId.save(certDir);
                next.save(stateFile);
            } catch (RuntimeException | IOException e) {
                stopManager();
                deleteTree(raftDir);
                throw new IllegalStateException("promotion failed, staying a worker: " + e.getMessage(), e);
            }
            enter(manager, next.nodeId());
            worker = null;
            w.close();
            state = next;
            log.info("This node is now a manager");
        }
    }

    /** Manager -> worker: out of the Raft group, a worker certificate, a session with the leader. */
    private void demote() {
        synchronized (lock) {
            SwarmState s = state;
            Manager m = manager;
            if (s == null || s.isWorker() || m == null) {
                return;
            }
            log.info("This node was demoted: waiting for the leader to remove it from the Raft group");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (stillAMember(s.nodeId(), m) && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            List<String> managers = Dispatcher.managers(m.view()).stream()
                    .filter(a -> !a.equals(s.advertiseAddr() + ":" + MANAGER_PORT)).toList();
            JoinResponse[] answer = new JoinResponse[1];
            NodeCertificate workerId = NodeJoin.renew(identity, managers, CertificateAuthority.newKeyPair(), answer);
            stopManager();
            deleteTree(raftDir);
            SwarmState next = new SwarmState(s.nodeId(), null, s.advertiseAddr(), RaftNode.DEFAULT_PORT,
                    SwarmState.WORKER, managers);
            try {
                workerId.save(certDir);
                next.save(stateFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot record the new role under " + stateFile.getParent(), e);
            }
            state = next;
            startWorker(next, workerId);
            // The agent switches once the session has the view: an empty one would stop its tasks.
            if (!worker.awaitSession(JOIN_WAIT_MS)) {
                log.warn("No manager accepted this node's session yet; it keeps trying");
            }
            enter(worker, next.nodeId());
            log.info("This node is now a worker");
        }
    }

    /**
     * Whether the group still counts this member, in the leader's view: a removed member may
     * never hear of its removal (the leader stops sending to it), so its own view would say yes.
     */
    private boolean stillAMember(String nodeId, Manager m) {
        NodeCertificate id = identity;
        for (Node n : m.view().nodes().values()) {
            if (n.getId().equals(nodeId) || n.getRole() != NodeRole.MANAGER || n.getAddr().isEmpty() || id == null) {
                continue;
            }
            var answer = NodeJoin.memberStatus(id, n.getAddr());
            if (answer.isPresent()) {
                return answer.get().stream().anyMatch(st -> st.getNodeId().equals(nodeId));
            }
        }
        return raft.members().stream().anyMatch(p -> p.id().equals(nodeId));
    }

    /** A manager leaving a group of several: marked Down, then out of the Raft group; best effort. */
    private void leaveRaft(String nodeId) {
        try {
            manager.view().node(nodeId).ifPresent(n -> manager.write(List.of(Actions.update(n.toBuilder()
                    .setState(NodeState.NODE_DOWN).setStatusMessage("node left the swarm").setLeader(false).build()))));
            raft.removeMember(nodeId);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not leave the Raft group cleanly: {}", e.getMessage());
        }
    }

    private void awaitOwnNode(String nodeId) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_WAIT_MS);
        while (manager.view().node(nodeId).isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        if (manager.view().node(nodeId).isEmpty()) {
            throw Errors.unavailable("this manager did not receive the swarm's state within " + JOIN_WAIT_MS / 1000 + " s");
        }
    }

    /** Joins with a token: the CA admits this node, then a worker opens its session. */
    @Override
    public JoinSwarmResponse join(JoinSwarmRequest request) {
        boolean accepted;
        synchronized (lock) {
            if (state != null) {
                throw Errors.precondition(Errors.ALREADY_IN_SWARM);
            }
            String addr = request.getAdvertiseAddr().isEmpty() ? defaultAdvertiseAddr() : checkLocal(request.getAdvertiseAddr());
            NodeJoin.Admitted admitted = NodeJoin.join(request.getToken(), request.getRemoteAddr(), hostname, addr);
            if (admitted.role() == NodeRole.MANAGER) {
                return joinAsManager(admitted, addr);
            }
            SwarmState fresh = new SwarmState(admitted.nodeId(), null, addr, RaftNode.DEFAULT_PORT, SwarmState.WORKER,
                    List.of(admitted.manager()));
            try {
                admitted.identity().save(certDir);
                fresh.save(stateFile);
            } catch (IOException e) {
                erase();
                throw new UncheckedIOException("cannot record the swarm membership under " + stateFile.getParent(), e);
            }
            state = fresh;
            startWorker(fresh, admitted.identity());
            log.info("Joined swarm as worker node {} ({}) through manager {}", fresh.nodeId(), addr, admitted.manager());
            accepted = worker.awaitSession(JOIN_WAIT_MS);
            enter(worker, fresh.nodeId());
        }
        if (!accepted) {
            throw Errors.unavailable("Timeout was reached before node joined. The attempt to join the swarm will "
                    + "continue in the background. Use the \"flotilla info\" command to see the current swarm status "
                    + "of your node.");
        }
        return JoinSwarmResponse.newBuilder().setNodeId(state.nodeId()).setRole(NodeRole.WORKER).build();
    }

    /**
     * A node admitted with the manager token: its Raft member starts with no configuration, asks
     * the manager that admitted it to add it to the group, and is a manager once the group has
     * committed it and its store has caught up.
     */
    private JoinSwarmResponse joinAsManager(NodeJoin.Admitted admitted, String addr) {
        SwarmState fresh = new SwarmState(admitted.nodeId(), UUID.fromString(admitted.raftGroupId()), addr,
                RaftNode.DEFAULT_PORT, SwarmState.MANAGER, List.of(admitted.manager()));
        try {
            admitted.identity().save(certDir);
            List<RaftNode.Peer> known = admitted.raftMembers().stream().map(m -> RaftNode.peer(m.getId(), m.getAddr())).toList();
            startManager(fresh, admitted.identity(), List.of(), known);
            enter(manager, fresh.nodeId());
            startListener(admitted.identity());
            NodeJoin.addToRaft(admitted.identity(), List.of(admitted.manager()), raftAddr(fresh));
            awaitOwnNode(fresh.nodeId());
            fresh.save(stateFile);
        } catch (RuntimeException | IOException e) {
            abandon();
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException("cannot record the swarm membership under " + stateFile.getParent(), (IOException) e);
        }
        state = fresh;
        log.info("Joined swarm as manager node {} ({}) through manager {}", fresh.nodeId(), addr, admitted.manager());
        return JoinSwarmResponse.newBuilder().setNodeId(fresh.nodeId()).setRole(NodeRole.MANAGER).build();
    }

    /** Forgets the membership on disk: state, certificates, Raft log. */
    private void erase() {
        try {
            Files.deleteIfExists(stateFile);
            NodeCertificate.delete(certDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the swarm state under " + stateFile.getParent(), e);
        }
        deleteTree(raftDir);
    }

    /** Undoes a failed init: no Raft member, no log, no state file. */
    private void abandon() {
        onLeave.run();
        closeQuietly();
        erase();
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
        stopManager();
        WorkerSession w = worker;
        worker = null;
        if (w != null) {
            w.close();
        }
        connection = null;
        identity = null;
    }

    /** Stops this node's manager parts: port 2377, the dispatcher, the loops, the Raft member. */
    private void stopManager() {
        ClusterListener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
        Dispatcher d = dispatcher;
        dispatcher = null;
        if (d != null) {
            d.close();
        }
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
        roleChanges.shutdownNow();
        closeQuietly();
    }
}
