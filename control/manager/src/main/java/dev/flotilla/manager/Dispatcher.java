package dev.flotilla.manager;

import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.Credentials;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.HeartbeatRequest;
import dev.flotilla.api.v1.LogSubscription;
import dev.flotilla.api.v1.PublishLogsMessage;
import dev.flotilla.api.v1.PublishLogsResponse;
import dev.flotilla.api.v1.HeartbeatResponse;
import dev.flotilla.api.v1.LeaveRequest;
import dev.flotilla.api.v1.LeaveResponse;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.RaftMember;
import dev.flotilla.api.v1.RenewCertificateRequest;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.SessionMessage;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.StoreSnapshot;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskStatusUpdate;
import dev.flotilla.api.v1.UpdateTaskStatusRequest;
import dev.flotilla.api.v1.UpdateTaskStatusResponse;
import dev.flotilla.cluster.ca.NodeAuthInterceptor;
import dev.flotilla.manager.NodeCaService;
import dev.flotilla.cluster.ca.PeerIdentity;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.cluster.store.TaskStates;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's side of worker sessions (swarmkit's dispatcher). Each session gets the store as
 * its node needs it, again after every change (one pass per burst of commits); task status comes
 * back in batches and is applied only for tasks assigned to the calling node. Heartbeats keep a
 * node Ready: one that misses {@value #MISSED_HEARTBEATS} periods is marked Down, and the
 * orchestrator then replaces its tasks. A manager that just became leader gives every node a full
 * grace period before judging it.
 */
public final class Dispatcher extends DispatcherGrpc.DispatcherImplBase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Docker's default dispatcher heartbeat period. */
    public static final long DEFAULT_HEARTBEAT_MS = 5000;
    static final int MISSED_HEARTBEATS = 3;
    static final long PUSH_DEBOUNCE_MS = 20;
    /**
     * How long a just-demoted manager has, from the moment it is out of the Raft group, to open its
     * worker session before it counts as Down (at least the heartbeat grace): renewing its
     * certificate and switching took 1-3 s in RoleChangeIT.
     */
    static final long ROLE_CHANGE_GRACE_MS = 15_000;
    static final long CHECK_MS = 100;

    private final Manager manager;
    private final String selfNodeId;
    /** Monotonic nanoseconds, {@link System#nanoTime()} but in tests: heartbeat deadlines are on this clock. */
    private final LongSupplier nanoTime;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, Long> deadlines = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fl-dispatcher");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean removing = new AtomicBoolean();
    private final java.util.concurrent.ExecutorService membership = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fl-membership");
        t.setDaemon(true);
        return t;
    });
    // Only touched on the loop thread.
    private boolean leading;
    private final LogBroker logs = new LogBroker(this::sendLogSubscription);

    public Dispatcher(Manager manager, String selfNodeId) {
        this(manager, selfNodeId, System::nanoTime);
    }

    /** @param nanoTime the clock of heartbeat deadlines, monotonic nanoseconds (a test's fake clock) */
    Dispatcher(Manager manager, String selfNodeId, LongSupplier nanoTime) {
        this.manager = manager;
        this.selfNodeId = selfNodeId;
        this.nanoTime = nanoTime;
    }

    public void start() {
        manager.addListener(v -> markDirty());
        loop.scheduleWithFixedDelay(this::checkHeartbeats, CHECK_MS, CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /** The heartbeat period the cluster asks for. */
    static long periodMs(StoreView view) {
        long p = view.cluster().map(Cluster::getHeartbeatPeriodMs).orElse(0L);
        return p > 0 ? p : DEFAULT_HEARTBEAT_MS;
    }

    @Override
    public void session(SessionRequest request, StreamObserver<SessionMessage> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        try {
            requireLeader();
            StoreView view = manager.view();
            Node node = view.node(peer.nodeId()).orElseThrow(() -> Status.PERMISSION_DENIED
                    .withDescription("node " + peer.nodeId() + " is not part of the swarm").asRuntimeException());
            Node.Builder ready = node.toBuilder().setState(NodeState.NODE_READY).setStatusMessage("");
            if (!request.getHostname().isEmpty()) {
                ready.setHostname(request.getHostname());
            }
            if (!request.getEngineVersion().isEmpty()) {
                ready.setEngineVersion(request.getEngineVersion());
            }
            if (!request.getAddr().isEmpty()) {
                ready.setAddr(request.getAddr());
            }
            if (!request.getPlatformOs().isEmpty()) {
                ready.setPlatformOs(request.getPlatformOs()).setPlatformArch(request.getPlatformArch());
            }
            if (request.hasResources()) {
                ready.setResources(request.getResources());
            }
            if (!ready.build().equals(node)) {
                manager.write(List.of(Actions.update(ready.build())));
            }
            deadlines.put(peer.nodeId(), nanoTime.getAsLong() + graceNanos(view));
        } catch (RuntimeException e) {
            out.onError(Errors.unavailable(e, ""));
            return;
        }
        Session s = new Session(peer.nodeId(), (ServerCallStreamObserver<SessionMessage>) out);
        Session earlier = sessions.put(peer.nodeId(), s);
        if (earlier != null) {
            earlier.end(Status.ABORTED.withDescription("a newer session of this node replaced this one"));
        }
        s.out.setOnCancelHandler(() -> {
            if (sessions.remove(peer.nodeId(), s)) {
                logs.nodeGone(peer.nodeId());
            }
        });
        log.info("Node {} ({}) opened its session", peer.nodeId(), request.getHostname());
        loop.execute(() -> s.push(manager.view()));
    }

    /** Workers' logs, through their sessions with this leader. */
    public LogBroker logs() {
        return logs;
    }

    private boolean sendLogSubscription(String nodeId, LogSubscription sub) {
        Session s = sessions.get(nodeId);
        return s != null && s.send(SessionMessage.newBuilder().setLogSubscription(sub).build());
    }

    @Override
    public StreamObserver<PublishLogsMessage> publishLogs(StreamObserver<PublishLogsResponse> out) {
        return logs.publisher(NodeAuthInterceptor.PEER.get().nodeId(), out);
    }

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        if (!manager.isLeader()) {
            out.onError(notLeader());
            return;
        }
        StoreView view = manager.view();
        deadlines.put(peer.nodeId(), nanoTime.getAsLong() + graceNanos(view));
        out.onNext(HeartbeatResponse.newBuilder().setPeriodMs(periodMs(view)).build());
        out.onCompleted();
    }

    @Override
    public void updateTaskStatus(UpdateTaskStatusRequest request, StreamObserver<UpdateTaskStatusResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        StoreView view = manager.view();
        List<StoreAction> actions = new ArrayList<>();
        for (TaskStatusUpdate u : request.getUpdatesList()) {
            // A node reports only on its own tasks; anything else is ignored, not trusted.
            if (view.task(u.getTaskId()).map(t -> t.getNodeId().equals(peer.nodeId())).orElse(false)) {
                actions.add(Actions.status(u.getTaskId(), u.getStatus()));
            } else {
                log.debug("Node {} reported on task {} that is not assigned to it", peer.nodeId(), u.getTaskId());
            }
        }
        try {
            if (!actions.isEmpty()) {
                manager.write(actions);
            }
            out.onNext(UpdateTaskStatusResponse.getDefaultInstance());
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.unavailable(e, "task status not recorded"));
        }
    }

    @Override
    public void leave(LeaveRequest request, StreamObserver<LeaveResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        deadlines.remove(peer.nodeId());
        try {
            manager.view().node(peer.nodeId()).ifPresent(n -> manager.write(List.of(Actions.update(
                    n.toBuilder().setState(NodeState.NODE_DOWN).setStatusMessage("node left the swarm").build()))));
            Session s = sessions.remove(peer.nodeId());
            if (s != null) {
                s.end(Status.OK);
            }
            log.info("Node {} left the swarm", peer.nodeId());
            out.onNext(LeaveResponse.getDefaultInstance());
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.unavailable(e, ""));
        }
    }

    @Override
    public void renewCertificate(RenewCertificateRequest request, StreamObserver<JoinResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        try {
            StoreView view = manager.view();
            Node node = view.node(peer.nodeId()).orElseThrow(() -> Status.PERMISSION_DENIED
                    .withDescription("node " + peer.nodeId() + " is not part of the swarm").asRuntimeException());
            Cluster cluster = view.cluster().orElseThrow(() -> Status.UNAVAILABLE
                    .withDescription("the swarm has no cluster object").asRuntimeException());
            PublicKey key = NodeCaService.publicKey(request.getPublicKey().toByteArray());
            boolean asManager = node.getRole() == NodeRole.MANAGER;
            X509Certificate cert = CertificateAuthority.fromPem(cluster.getRootCaCertPem(), cluster.getRootCaKeyPem())
                    .issue(node.getId(), asManager, cluster.getId(), key, node.getAddr());
            JoinResponse.Builder r = JoinResponse.newBuilder()
                    .setNodeId(node.getId())
                    .setRole(node.getRole())
                    .setCertificatePem(CertificateAuthority.pem(cert))
                    .setRootCaPem(cluster.getRootCaCertPem())
                    .setClusterId(cluster.getId());
            if (asManager) {
                r.setRaftGroupId(manager.raft().groupUuid().toString());
                manager.raft().members().forEach(m -> r.addRaftMembers(RaftMember.newBuilder()
                        .setId(m.id()).setAddr(m.address())));
            }
            log.info("Issued a {} certificate to node {} ({})", asManager ? "manager" : "worker", node.getId(), node.getHostname());
            out.onNext(r.build());
            out.onCompleted();
        } catch (RuntimeException e) {
            out.onError(Errors.unavailable(e, ""));
        }
    }

    private void markDirty() {
        if (!loop.isShutdown() && dirty.compareAndSet(false, true)) {
            loop.schedule(this::pushAll, PUSH_DEBOUNCE_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void pushAll() {
        dirty.set(false);
        StoreView view = manager.view();
        for (Session s : sessions.values()) {
            if (view.node(s.nodeId).isEmpty()) {
                sessions.remove(s.nodeId, s);
                s.end(Status.PERMISSION_DENIED.withDescription("node " + s.nodeId + " was removed from the swarm"));
            } else {
                s.push(view);
            }
        }
    }

    /** Marks Down every worker whose heartbeats stopped; runs on the loop. */
    private void checkHeartbeats() {
        try {
            boolean leader = manager.isLeader();
            StoreView view = manager.view();
            long now = nanoTime.getAsLong();
            if (leader && !leading) {
                // New leader: nobody has had a chance to heartbeat to it yet.
                view.nodes().keySet().forEach(id -> deadlines.put(id, now + graceNanos(view)));
            }
            leading = leader;
            if (!leader) {
                sessions.values().forEach(s -> s.end(notLeader().getStatus()));
                sessions.clear();
                return;
            }
            List<StoreAction> down = new ArrayList<>(managerChanges(view));
            Set<String> members = new HashSet<>();
            manager.raft().members().forEach(p -> members.add(p.id()));
            for (Node n : view.nodes().values()) {
                if (n.getId().equals(selfNodeId) || n.getRole() == NodeRole.MANAGER || members.contains(n.getId())) {
                    // Raft tells whether a manager lives. Should it be demoted, it first leaves the Raft
                    // group (however long that takes), then renews its certificate and opens its session:
                    // its grace period starts when it is out of the group.
                    deadlines.put(n.getId(), now + Math.max(graceNanos(view), TimeUnit.MILLISECONDS.toNanos(ROLE_CHANGE_GRACE_MS)));
                    continue;
                }
                if (n.getState() == NodeState.NODE_DOWN) {
                    Long open = deadlines.get(n.getId());
                    if (sessions.containsKey(n.getId()) && open != null && now - open <= 0) {
                        // Marked Down by a check that read the store just before this session opened
                        // (the session saw it Ready and wrote nothing): its heartbeats say it lives.
                        log.info("Node {} ({}) is Down but its session is live: marking it Ready", n.getId(), n.getHostname());
                        down.add(Actions.update(n.toBuilder().setState(NodeState.NODE_READY).setStatusMessage("").build()));
                    }
                    continue;
                }
                // A node first seen now (just admitted) gets a full grace period to open its session.
                long deadline = deadlines.computeIfAbsent(n.getId(), id -> now + graceNanos(view));
                if (now - deadline > 0) {
                    log.warn("Node {} ({}) missed its heartbeats: marking it Down", n.getId(), n.getHostname());
                    down.add(Actions.update(n.toBuilder().setState(NodeState.NODE_DOWN)
                            .setStatusMessage("heartbeat failure").build()));
                    Session s = sessions.remove(n.getId());
                    if (s != null) {
                        s.end(Status.UNAVAILABLE.withDescription("heartbeat failure"));
                    }
                }
            }
            if (!down.isEmpty()) {
                manager.write(down);
            }
        } catch (RuntimeException e) {
            log.debug("Heartbeat check failed: {}", e.toString());
        }
    }

    /**
     * The leader's view of the managers: itself the only Leader, each other member Ready while
     * its Raft traffic answers within the grace period, Down (unreachable) once it does not.
     */
    private List<StoreAction> managerChanges(StoreView view) {
        List<StoreAction> out = new ArrayList<>();
        removeDemotedMembers(view);
        Map<String, Long> silence = manager.raft().followerSilenceMs();
        long graceMs = periodMs(view) * MISSED_HEARTBEATS;
        for (Node n : view.nodes().values()) {
            boolean self = n.getId().equals(selfNodeId);
            Node.Builder b = n.toBuilder().setLeader(self);
            Long quiet = silence.get(n.getId());
            if (self && n.getState() != NodeState.NODE_READY) {
                b.setState(NodeState.NODE_READY).setStatusMessage("");
            } else if (!self && n.getRole() == NodeRole.MANAGER && quiet != null) {
                if (quiet < graceMs && n.getState() != NodeState.NODE_READY) {
                    b.setState(NodeState.NODE_READY).setStatusMessage("");
                } else if (quiet >= graceMs && n.getState() == NodeState.NODE_READY) {
                    log.warn("Manager {} ({}) stopped answering Raft: marking it Down", n.getId(), n.getHostname());
                    b.setState(NodeState.NODE_DOWN).setStatusMessage("manager unreachable");
                }
            }
            Node next = b.build();
            if (!next.equals(n)) {
                out.add(Actions.update(next));
            }
        }
        return out;
    }

    /** Raft members whose node was demoted leave the group, one at a time, off the loop. */
    private void removeDemotedMembers(StoreView view) {
        if (removing.get()) {
            return;
        }
        for (dev.flotilla.manager.raft.RaftNode.Peer member : manager.raft().members()) {
            String id = member.id();
            boolean demoted = view.node(id).map(n -> n.getRole() == NodeRole.WORKER).orElse(false);
            if (demoted && removing.compareAndSet(false, true)) {
                membership.execute(() -> {
                    try {
                        log.info("Removing demoted manager {} from the Raft group", id);
                        manager.raft().removeMember(id);
                    } catch (java.io.IOException | RuntimeException e) {
                        log.warn("Could not remove {} from the Raft group: {}", id, e.getMessage());
                    } finally {
                        removing.set(false);
                    }
                });
                return;
            }
        }
    }

    private static long graceNanos(StoreView view) {
        return TimeUnit.MILLISECONDS.toNanos(periodMs(view) * MISSED_HEARTBEATS);
    }

    private void requireLeader() {
        if (!manager.isLeader()) {
            throw notLeader();
        }
    }

    private StatusRuntimeException notLeader() {
        String leader = manager.view().nodes().values().stream().filter(Node::getLeader).map(Node::getAddr)
                .findFirst().orElse("unknown");
        return Status.UNAVAILABLE.withDescription("this manager is not the leader; the leader is " + leader)
                .asRuntimeException();
    }

    /**
     * What a node receives: the cluster without its CA key, join tokens and unlock key, every node, service
     * and network, its own tasks, and the live tasks of other nodes (the endpoint tables); registry
     * credentials only in its own tasks, and the secrets and configs its own live tasks use.
     */
    static StoreSnapshot assignments(StoreView view, String nodeId) {
        StoreSnapshot.Builder b = StoreSnapshot.newBuilder();
        view.cluster().ifPresent(c -> b.addClusters(c.toBuilder().clearRootCaKeyPem().clearJoinTokens().clearUnlockKey()));
        b.addAllNodes(view.nodes().values());
        view.services().values().forEach(s -> b.addServices(Credentials.redacted(s)));
        b.addAllNetworks(view.networks().values());
        Set<String> secrets = new HashSet<>();
        Set<String> configs = new HashSet<>();
        for (Task t : view.tasks().values()) {
            if (t.getNodeId().equals(nodeId)) {
                // Its own tasks carry the registry credentials their image is pulled with; no other node's do.
                b.addTasks(t);
                if (!TaskStates.isTerminal(t.getStatus().getState())) {
                    t.getSpec().getSecretsList().forEach(r -> secrets.add(r.getSecretId()));
                    t.getSpec().getConfigsList().forEach(r -> configs.add(r.getConfigId()));
                }
            } else if (!t.getNodeId().isEmpty() && !TaskStates.isTerminal(t.getStatus().getState())) {
                b.addTasks(Credentials.redacted(t));
            }
        }
        // The secrets of its live tasks only: a node never holds another's, nor one a task of its no longer uses.
        secrets.stream().sorted().forEach(id -> view.secret(id).ifPresent(b::addSecrets));
        configs.stream().sorted().forEach(id -> view.config(id).ifPresent(b::addConfigs));
        return b.build();
    }

    public static List<String> managers(StoreView view) {
        Set<String> out = new HashSet<>();
        for (Node n : view.nodes().values()) {
            if (n.getRole() == NodeRole.MANAGER && !n.getAddr().isEmpty() && n.getState() != NodeState.NODE_DOWN) {
                out.add(n.getAddr() + ":" + ClusterListener.PORT);
            }
        }
        return out.stream().sorted().toList();
    }

    /** One node's stream; sends are serialized on this object. */
    private static final class Session {
        final String nodeId;
        final ServerCallStreamObserver<SessionMessage> out;
        private long sentIndex = -1;
        private boolean ended;

        Session(String nodeId, ServerCallStreamObserver<SessionMessage> out) {
            this.nodeId = nodeId;
            this.out = out;
        }

        synchronized void push(StoreView view) {
            if (ended || view.index() == sentIndex || out.isCancelled()) {
                return;
            }
            try {
                out.onNext(SessionMessage.newBuilder()
                        .setAssignments(assignments(view, nodeId))
                        .setIndex(view.index())
                        .addAllManagers(managers(view))
                        .setHeartbeatPeriodMs(periodMs(view))
                        .build());
                sentIndex = view.index();
            } catch (RuntimeException e) {
                log.debug("Session of node {} closed while sending: {}", nodeId, e.toString());
                ended = true;
            }
        }

        /** Sends one message down the session; false if it is closed. */
        synchronized boolean send(SessionMessage m) {
            if (ended || out.isCancelled()) {
                return false;
            }
            try {
                out.onNext(m);
                return true;
            } catch (RuntimeException e) {
                log.debug("Session of node {} closed while sending: {}", nodeId, e.toString());
                ended = true;
                return false;
            }
        }

        synchronized void end(Status status) {
            if (ended) {
                return;
            }
            ended = true;
            try {
                if (status.isOk()) {
                    out.onCompleted();
                } else {
                    out.onError(status.asRuntimeException());
                }
            } catch (RuntimeException e) {
                log.debug("Session of node {} already closed: {}", nodeId, e.toString());
            }
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        membership.shutdownNow();
        sessions.values().forEach(s -> s.end(Status.UNAVAILABLE.withDescription("the manager is shutting down")));
        sessions.keySet().forEach(logs::nodeGone);
        sessions.clear();
    }
}
