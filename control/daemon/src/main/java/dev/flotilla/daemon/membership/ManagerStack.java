package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.logs.LogReader;
import dev.flotilla.manager.logs.NodeLogsService;
import java.util.Optional;
import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.manager.ClusterListener;
import dev.flotilla.manager.Dispatcher;
import dev.flotilla.manager.Manager;
import dev.flotilla.manager.ManagerStatuses;
import dev.flotilla.manager.orchestrator.Orchestrator;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a manager node runs: its Raft member, the manager loops over the replicated store, the
 * dispatcher, and once {@link #listen} is called the cluster API on port 2377. Started in that
 * order, stopped in the reverse one.
 */
final class ManagerStack {

    private static final Logger log = LoggerFactory.getLogger(ManagerStack.class);

    static final int MANAGER_PORT = ClusterListener.PORT;

    private final RaftNode raft;
    private final Manager manager;
    private final Dispatcher dispatcher;
    private final NodeCertificate identity;
    private final String nodeId;
    private final LogReader logs;
    // Set once by listen(), on the transition that started the stack; read by close().
    private volatile ClusterListener listener;

    private ManagerStack(RaftNode raft, Manager manager, Dispatcher dispatcher, NodeCertificate identity, String nodeId,
            LogReader logs) {
        this.raft = raft;
        this.manager = manager;
        this.dispatcher = dispatcher;
        this.identity = identity;
        this.nodeId = nodeId;
        this.logs = logs;
    }

    /**
     * Starts this node's Raft member, the manager loops and the dispatcher; what started is
     * stopped again if a later part fails.
     *
     * @param serverPeers the group to start with when there is no Raft log yet
     * @param knownPeers  where the Raft client first looks for the leader (empty: serverPeers)
     * @param logs        this node's task logs, which other managers read on port 2377
     */
    static ManagerStack start(Path raftDir, SwarmState s, NodeCertificate identity, List<RaftNode.Peer> serverPeers,
            List<RaftNode.Peer> knownPeers, LogReader logs, DataKey dataKey) {
        MemoryStore store = new MemoryStore();
        RaftNode raft;
        try {
            raft = RaftNode.start(raftDir, s.raftGroupId(), s.nodeId(), s.advertiseAddr(), s.raftPort(),
                    serverPeers, knownPeers.isEmpty() ? serverPeers : knownPeers, store, identity, dataKey);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Raft on " + raftAddr(s), e);
        }
        Manager manager = null;
        Dispatcher dispatcher = null;
        try {
            manager = new Manager(raft, store, Clock.systemUTC(), Orchestrator.DEFAULT_HISTORY_LIMIT);
            manager.start();
            dispatcher = new Dispatcher(manager, s.nodeId());
            dispatcher.start();
            return new ManagerStack(raft, manager, dispatcher, identity, s.nodeId(), logs);
        } catch (RuntimeException e) {
            if (dispatcher != null) {
                dispatcher.close();
            }
            if (manager != null) {
                manager.close();
            }
            closeRaft(raft);
            throw e;
        }
    }

    /** This node's only Raft peer, for a group of one (init) or a restart from its own log. */
    static List<RaftNode.Peer> self(SwarmState s) {
        return List.of(RaftNode.peer(s.nodeId(), raftAddr(s)));
    }

    static String raftAddr(SwarmState s) {
        return s.advertiseAddr() + ":" + s.raftPort();
    }

    /** Where this node's cluster API answers, as the managers list names it. */
    static String clusterAddr(SwarmState s) {
        return s.advertiseAddr() + ":" + MANAGER_PORT;
    }

    /**
     * The managers to ask about this node's role change: all but this node, whose own port 2377
     * knows nothing yet (promotion) or no longer answers for the group (demotion).
     */
    static List<String> others(List<String> managers, SwarmState s) {
        return managers.stream().filter(a -> !a.equals(clusterAddr(s))).toList();
    }

    /** Opens port 2377: joins, sessions and Raft membership calls reach this manager from now on. */
    void listen() {
        listener = ClusterListener.start(MANAGER_PORT, identity, manager, dispatcher,
                List.of(new NodeLogsService(nodeId, manager, () -> Optional.of(dispatcher.logs()), logs)));
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    Manager manager() {
        return manager;
    }

    RaftNode raft() {
        return raft;
    }

    NodeCertificate identity() {
        return identity;
    }

    /** MANAGER STATUS of every Raft member by node id, live: a follower asks the leader. */
    Map<String, ManagerStatus> statuses() {
        return ManagerStatuses.live(raft, manager.view().nodes(), leaderAddr -> NodeJoin.memberStatus(identity, leaderAddr));
    }

    /** Waits until the replicated store holds this node, which the group wrote when it added the member. */
    void awaitOwnNode(String nodeId, long timeoutMs) {
        awaitOwnNode(nodeId, 0, timeoutMs);
    }

    /**
     * Waits until this manager's store holds its own node and has applied the log up to
     * {@code index} (what the node saw as a worker: a promoted node's tasks are in it).
     */
    void awaitOwnNode(String nodeId, long index, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!caughtUp(nodeId, index) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        if (!caughtUp(nodeId, index)) {
            throw Errors.unavailable("this manager did not receive the swarm's state within " + timeoutMs / 1000 + " s");
        }
    }

    private boolean caughtUp(String nodeId, long index) {
        StoreView v = manager.view();
        return v.node(nodeId).isPresent() && v.index() >= index;
    }

    /** A manager leaving a group of several: marked Down, then out of the Raft group; best effort. */
    void leaveRaft(String nodeId) {
        try {
            manager.view().node(nodeId).ifPresent(n -> manager.write(List.of(Actions.update(n.toBuilder()
                    .setState(NodeState.NODE_DOWN).setStatusMessage("node left the swarm").setLeader(false).build()))));
            raft.removeMember(nodeId);
        } catch (IOException | RuntimeException e) {
            log.warn("Could not leave the Raft group cleanly: {}", e.getMessage());
        }
    }

    /** Stops this node's manager parts: port 2377, the dispatcher, the loops, the Raft member. */
    void close() {
        ClusterListener l = listener;
        listener = null;
        if (l != null) {
            l.close();
        }
        dispatcher.close();
        manager.close();
        closeRaft(raft);
    }

    private static void closeRaft(RaftNode raft) {
        try {
            raft.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Raft did not close cleanly: {}", e.toString());
        }
    }
}
