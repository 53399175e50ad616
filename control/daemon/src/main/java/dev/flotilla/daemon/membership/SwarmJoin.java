package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import dev.flotilla.agent.WorkerSession;
import dev.flotilla.api.v1.JoinSwarmRequest;
import dev.flotilla.api.v1.JoinSwarmResponse;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.manager.raft.RaftNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code swarm join}: the CA admits this node ({@link NodeJoin}) in the role its token grants;
 * a worker records its membership and opens its session, a manager joins the Raft group first
 * and records its membership once the group has it. Runs inside {@link Membership#change}.
 */
final class SwarmJoin {

    private static final Logger log = LoggerFactory.getLogger(SwarmJoin.class);

    /** How long {@code swarm join} waits for the manager to accept the node's session. */
    static final long JOIN_WAIT_MS = 15_000;

    private final Membership membership;
    private final MembershipFiles files;
    private final NodeDescription self;
    private final Teardown teardown;

    SwarmJoin(Membership membership, MembershipFiles files, NodeDescription self, Teardown teardown) {
        this.membership = membership;
        this.files = files;
        this.self = self;
        this.teardown = teardown;
    }

    /** Joins with a token: the CA admits this node, then a worker opens its session. */
    JoinSwarmResponse run(JoinSwarmRequest request) {
        membership.requireOutsideSwarm();
        String addr = AdvertiseAddress.choose(request.getAdvertiseAddr());
        NodeJoin.Admitted admitted = NodeJoin.join(request.getToken(), request.getRemoteAddr(), self.hostname(), addr);
        if (admitted.role() == NodeRole.MANAGER) {
            return asManager(admitted, addr);
        }
        SwarmState fresh = new SwarmState(admitted.nodeId(), null, addr, RaftNode.DEFAULT_PORT, SwarmState.WORKER,
                List.of(admitted.manager()));
        try {
            files.save(admitted.identity());
            files.save(fresh);
        } catch (IOException e) {
            files.erase();
            throw new UncheckedIOException("cannot record the swarm membership under " + files.where(), e);
        }
        membership.become(fresh);
        WorkerSession w = membership.startWorker(fresh, admitted.identity());
        log.info("Joined swarm as worker node {} ({}) through manager {}", fresh.nodeId(), addr, admitted.manager());
        boolean accepted = w.awaitSession(JOIN_WAIT_MS);
        membership.enter(w, fresh.nodeId());
        if (!accepted) {
            throw Errors.unavailable("Timeout was reached before node joined. The attempt to join the swarm will "
                    + "continue in the background. Use the \"flotilla info\" command to see the current swarm status "
                    + "of your node.");
        }
        return JoinSwarmResponse.newBuilder().setNodeId(fresh.nodeId()).setRole(NodeRole.WORKER).build();
    }

    /**
     * A node admitted with the manager token: its Raft member starts with no configuration, asks
     * the manager that admitted it to add it to the group, and is a manager once the group has
     * committed it and its store has caught up.
     */
    private JoinSwarmResponse asManager(NodeJoin.Admitted admitted, String addr) {
        SwarmState fresh = new SwarmState(admitted.nodeId(), UUID.fromString(admitted.raftGroupId()), addr,
                RaftNode.DEFAULT_PORT, SwarmState.MANAGER, List.of(admitted.manager()));
        try {
            files.save(admitted.identity());
            List<RaftNode.Peer> known = admitted.raftMembers().stream().map(m -> RaftNode.peer(m.getId(), m.getAddr())).toList();
            DataKey dataKey = NodeJoin.saveDataKey(NodeJoin.dataKey(admitted.identity(), List.of(admitted.manager())), files);
            ManagerStack stack = membership.startManager(fresh, admitted.identity(), List.of(), known, dataKey);
            membership.enter(stack.manager(), fresh.nodeId());
            stack.listen();
            NodeJoin.addToRaft(admitted.identity(), List.of(admitted.manager()), ManagerStack.raftAddr(fresh));
            stack.awaitOwnNode(fresh.nodeId(), JOIN_WAIT_MS);
            files.save(fresh);
        } catch (RuntimeException | IOException e) {
            teardown.abandon();
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new UncheckedIOException("cannot record the swarm membership under " + files.where(), (IOException) e);
        }
        membership.become(fresh);
        log.info("Joined swarm as manager node {} ({}) through manager {}", fresh.nodeId(), addr, admitted.manager());
        return JoinSwarmResponse.newBuilder().setNodeId(fresh.nodeId()).setRole(NodeRole.MANAGER).build();
    }
}
