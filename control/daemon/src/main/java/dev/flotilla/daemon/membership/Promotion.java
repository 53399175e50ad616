package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.agent.WorkerSession;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Worker -> manager, once the store says this node is a manager: a manager certificate, a Raft
 * member added to the group, the agent switched over to the local store. Until all of that is
 * done and recorded the node stays a worker, its session open. Runs inside {@link Membership#change}.
 */
final class Promotion {

    private static final Logger log = LoggerFactory.getLogger(Promotion.class);

    private final Membership membership;
    private final MembershipFiles files;

    Promotion(Membership membership, MembershipFiles files) {
        this.membership = membership;
        this.files = files;
    }

    void run() {
        SwarmState s = membership.state().orElse(null);
        WorkerSession w = membership.worker().orElse(null);
        if (s == null || !s.isWorker() || w == null) {
            return;
        }
        log.info("This node was promoted: becoming a manager");
        // The list already names this node (the store makes it a manager), whose own listener
        // knows nothing yet: the others are asked, or the error would be this node's own.
        List<String> others = ManagerStack.others(w.managers(), s);
        JoinResponse[] answer = new JoinResponse[1];
        NodeCertificate managerId = NodeJoin.renew(membership.identity().orElseThrow(), others,
                CertificateAuthority.newKeyPair(), answer);
        SwarmState next = new SwarmState(s.nodeId(), UUID.fromString(answer[0].getRaftGroupId()), s.advertiseAddr(),
                RaftNode.DEFAULT_PORT, SwarmState.MANAGER, List.of());
        List<RaftNode.Peer> known = answer[0].getRaftMembersList().stream()
                .map(m -> RaftNode.peer(m.getId(), m.getAddr())).toList();
        ManagerStack stack;
        try {
            DataKey dataKey = NodeJoin.saveDataKey(NodeJoin.dataKey(managerId, others), files);
            stack = membership.startManager(next, managerId, List.of(), known, dataKey);
            stack.listen();
            NodeJoin.addToRaft(managerId, others, ManagerStack.raftAddr(next));
            // Its tasks are in the view it had as a worker: the agent switches once the store holds them.
            stack.awaitOwnNode(next.nodeId(), w.view().index(), SwarmJoin.JOIN_WAIT_MS);
            files.save(managerId);
            files.save(next);
        } catch (RuntimeException | IOException e) {
            membership.stopManager();
            files.deleteManagerState();
            throw new IllegalStateException("promotion failed, staying a worker: " + e.getMessage(), e);
        }
        membership.enter(stack.manager(), next.nodeId());
        membership.stopWorker();
        membership.become(next);
        log.info("This node is now a manager");
    }
}
