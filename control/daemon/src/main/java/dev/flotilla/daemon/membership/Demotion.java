package dev.flotilla.daemon.membership;

import dev.flotilla.agent.WorkerSession;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.manager.Dispatcher;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manager -> worker, once the store says this node is a worker: out of the Raft group (the leader
 * removes it), a worker certificate, a session with the leader, the agent switched over to it.
 * Runs inside {@link Membership#change}.
 */
final class Demotion {

    private static final Logger log = LoggerFactory.getLogger(Demotion.class);

    /** How long a demoted manager waits for the leader to remove its Raft member before it goes on anyway. */
    static final long LEAVE_GROUP_WAIT_S = 30;

    private final Membership membership;
    private final MembershipFiles files;

    Demotion(Membership membership, MembershipFiles files) {
        this.membership = membership;
        this.files = files;
    }

    void run() {
        SwarmState s = membership.state().orElse(null);
        ManagerStack m = membership.manager().orElse(null);
        if (s == null || s.isWorker() || m == null) {
            return;
        }
        log.info("This node was demoted: waiting for the leader to remove it from the Raft group");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(LEAVE_GROUP_WAIT_S);
        while (stillAMember(s.nodeId(), m) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        List<String> managers = ManagerStack.others(Dispatcher.managers(m.manager().view()), s);
        JoinResponse[] answer = new JoinResponse[1];
        NodeCertificate workerId = NodeJoin.renew(m.identity(), managers, CertificateAuthority.newKeyPair(), answer);
        SwarmState next = new SwarmState(s.nodeId(), null, s.advertiseAddr(), RaftNode.DEFAULT_PORT,
                SwarmState.WORKER, managers);
        // The session opens while the manager stack still serves the agent: the leader hears from this
        // node again as early as it can, and the agent is never without a view of its tasks.
        WorkerSession w = membership.startWorker(next, workerId);
        membership.stopManager();
        files.deleteManagerState();
        try {
            files.save(workerId);
            files.save(next);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the new role under " + files.where(), e);
        }
        membership.become(next);
        // The agent switches once the session has the view: an empty one would stop its tasks.
        if (!w.awaitSession(SwarmJoin.JOIN_WAIT_MS)) {
            log.warn("No manager accepted this node's session yet; it keeps trying, and the tasks carry on until one does");
            w.whenOpen(() -> membership.change(() -> {
                if (membership.worker().orElse(null) == w) {
                    membership.enter(w, next.nodeId());
                    log.info("This node is now a worker");
                }
                return null;
            }));
            return;
        }
        membership.enter(w, next.nodeId());
        log.info("This node is now a worker");
    }

    /**
     * Whether the group still counts this member, in the leader's view: a removed member may
     * never hear of its removal (the leader stops sending to it), so its own view would say yes.
     */
    private static boolean stillAMember(String nodeId, ManagerStack m) {
        for (Node n : m.manager().view().nodes().values()) {
            if (n.getId().equals(nodeId) || n.getRole() != NodeRole.MANAGER || n.getAddr().isEmpty()) {
                continue;
            }
            var answer = NodeJoin.memberStatus(m.identity(), n.getAddr());
            if (answer.isPresent()) {
                return answer.get().stream().anyMatch(st -> st.getNodeId().equals(nodeId));
            }
        }
        return m.raft().members().stream().anyMatch(p -> p.id().equals(nodeId));
    }
}
