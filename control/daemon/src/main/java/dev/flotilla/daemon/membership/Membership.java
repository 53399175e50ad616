package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.common.Platform;
import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.agent.WorkerSession;
import dev.flotilla.api.v1.SessionRequest;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.ClusterConnection;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership as it stands: outside a swarm, a manager (its {@link ManagerStack}) or a
 * worker (its {@link WorkerSession}), with the state it recorded and the certificate it uses.
 *
 * <p>Threads: every change of membership runs through {@link #change}, one at a time under one
 * lock: restart into the recorded swarm, init, join, leave, promotion, demotion, and a worker
 * recording the managers it heard of. The fields below are written only there; they are volatile
 * so the API threads read them without the lock. A change may wait for the network (a session
 * accepted, the Raft group) but never for another change: a role change noticed in the store is
 * decided on the store's event thread and carried out on its own thread ({@link RoleWatch}),
 * which then takes the lock like any other change.
 */
final class Membership {

    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    private final Object lock = new Object();
    private final MembershipFiles files;
    private final NodeDescription self;
    private final AgentLink agent;
    private volatile SwarmState state;
    private volatile ManagerStack manager;
    private volatile WorkerSession worker;
    private volatile NodeCertificate identity;
    // A restarted manager whose data key is sealed with the unlock key: in the swarm, serving nothing.
    private volatile boolean locked;
    private volatile KeyGuard keyGuard;
    private final LogReader logs;

    /** A change of membership, run under the lock. */
    interface Change<T, E extends Exception> {
        T run() throws E;
    }

    Membership(MembershipFiles files, NodeDescription self, AgentLink agent, LogReader logs) {
        this.files = files;
        this.self = self;
        this.agent = agent;
        this.logs = logs;
    }

    /** Runs {@code c} once no other change of membership is running, and none starts before it ends. */
    <T, E extends Exception> T change(Change<T, E> c) throws E {
        synchronized (lock) {
            return c.run();
        }
    }

    Optional<SwarmState> state() {
        return Optional.ofNullable(state);
    }

    Optional<ManagerStack> manager() {
        return Optional.ofNullable(manager);
    }

    Optional<WorkerSession> worker() {
        return Optional.ofNullable(worker);
    }

    /** The certificate this node presents to the swarm's managers. */
    Optional<NodeCertificate> identity() {
        return Optional.ofNullable(identity);
    }

    /** Whether this manager waits for `swarm unlock` (autolock) before it starts. */
    boolean locked() {
        return locked;
    }

    /** Init and join are refused in a swarm: the node leaves first. */
    void requireOutsideSwarm() {
        if (state != null) {
            throw Errors.precondition(Errors.ALREADY_IN_SWARM);
        }
    }

    /** Leave is refused outside a swarm. */
    SwarmState requireMember() {
        SwarmState s = state;
        if (s == null) {
            throw Errors.precondition("This node is not part of a swarm");
        }
        return s;
    }

    // The methods below run inside change().

    /** This node's membership is now {@code next}; the caller recorded it first. */
    void become(SwarmState next) {
        state = next;
    }

    /** This node is outside any swarm now; the caller erased what it recorded. */
    void forget() {
        state = null;
        locked = false;
    }

    /** This manager's data key is sealed: it waits for its unlock key, with its membership and certificate. */
    void lock(NodeCertificate id) {
        identity = id;
        locked = true;
    }

    /** @param dataKey the swarm's key the Raft log is sealed with; null for an older build's swarm that has none */
    ManagerStack startManager(SwarmState s, NodeCertificate id, List<RaftNode.Peer> serverPeers, List<RaftNode.Peer> knownPeers,
            DataKey dataKey) {
        ManagerStack m = ManagerStack.start(files.raftDir(), s, id, serverPeers, knownPeers, logs, dataKey);
        manager = m;
        identity = id;
        locked = false;
        if (dataKey != null) {
            KeyGuard guard = new KeyGuard(files, dataKey);
            keyGuard = guard;
            m.manager().addListener(guard);
            guard.accept(m.manager().view());
        }
        return m;
    }

    void stopManager() {
        KeyGuard guard = keyGuard;
        keyGuard = null;
        if (guard != null) {
            guard.close();
        }
        ManagerStack m = manager;
        manager = null;
        if (m != null) {
            m.close();
        }
    }

    /** Opens a worker's session with the managers {@code s} names; it keeps trying until one accepts it. */
    WorkerSession startWorker(SwarmState s, NodeCertificate id) {
        WorkerSession w = new WorkerSession(id, SessionRequest.newBuilder()
                .setHostname(self.hostname()).setEngineVersion(self.engineVersion()).setAddr(s.advertiseAddr())
                .setPlatformOs(Platform.os()).setPlatformArch(Platform.arch())
                .setResources(InitialObjects.nodeResources()).build(),
                s.managers());
        worker = w;
        identity = id;
        // The leader asks this node for its tasks' logs on the session.
        w.serveLogs(s.nodeId(), logs);
        // The managers a worker knows are remembered, so a restart finds the swarm after failovers.
        w.addListener(v -> recordManagers(w));
        w.start();
        return w;
    }

    void stopWorker() {
        WorkerSession w = worker;
        worker = null;
        if (w != null) {
            w.close();
        }
    }

    /** Gives the agent this node's view of the cluster, or switches it after a role change. */
    void enter(ClusterConnection c, String nodeId) {
        agent.enter(c, nodeId);
    }

    /** Stops whatever this node runs for the swarm; what it recorded stays. */
    void stopAll() {
        stopManager();
        stopWorker();
        agent.reset();
        identity = null;
    }

    /** Called on the session's thread: looks without the lock first, as most views change no manager. */
    private void recordManagers(WorkerSession w) {
        SwarmState seen = state;
        if (seen == null || !seen.isWorker() || w.managers().isEmpty() || w.managers().equals(seen.managers())) {
            return;
        }
        change(() -> {
            SwarmState now = state;
            if (worker != w || now == null || !now.isWorker()) {
                return null;
            }
            SwarmState next = new SwarmState(now.nodeId(), null, now.advertiseAddr(), now.raftPort(),
                    SwarmState.WORKER, w.managers());
            try {
                files.save(next);
                state = next;
            } catch (IOException e) {
                log.warn("Cannot record the managers this node knows: {}", e.getMessage());
            }
            return null;
        });
    }
}
