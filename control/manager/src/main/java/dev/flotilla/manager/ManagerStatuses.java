package dev.flotilla.manager;

import dev.flotilla.api.v1.ManagerStatus;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.Reachability;
import dev.flotilla.manager.raft.RaftNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * MANAGER STATUS as Docker computes it: from the leader's live Raft view when asked, never from
 * the store (a status written to the store could not change once quorum is lost). A follower
 * asks the leader; when no leader answers it gives its own view ({@link RaftNode#memberView}).
 */
public final class ManagerStatuses {

    private ManagerStatuses() {
    }

    /**
     * Every Raft member's status by node id.
     *
     * @param askLeader asks the leader at a node address for its view; empty when it did not answer
     */
    public static Map<String, ManagerStatus> live(RaftNode raft, Map<String, Node> nodes,
            Function<String, Optional<List<ManagerStatus>>> askLeader) {
        List<RaftNode.Member> own = raft.memberView();
        Optional<RaftNode.Member> leader = own.stream().filter(RaftNode.Member::leader).findFirst();
        if (leader.isPresent() && !leader.get().id().equals(raft.peerId())) {
            Node n = nodes.get(leader.get().id());
            if (n != null && !n.getAddr().isEmpty()) {
                Optional<List<ManagerStatus>> answer = askLeader.apply(n.getAddr());
                if (answer.isPresent()) {
                    return byId(answer.get());
                }
            }
        }
        return byId(of(own));
    }

    /** The proto form of a member view. */
    public static List<ManagerStatus> of(List<RaftNode.Member> members) {
        return members.stream().map(m -> ManagerStatus.newBuilder()
                .setNodeId(m.id())
                .setLeader(m.leader())
                .setRaftAddr(m.address())
                .setReachability(switch (m.reachability()) {
                    case REACHABLE -> Reachability.REACHABILITY_REACHABLE;
                    case UNREACHABLE -> Reachability.REACHABILITY_UNREACHABLE;
                    case UNKNOWN -> Reachability.REACHABILITY_UNKNOWN;
                })
                .build()).toList();
    }

    private static Map<String, ManagerStatus> byId(List<ManagerStatus> list) {
        Map<String, ManagerStatus> out = new HashMap<>();
        list.forEach(s -> out.put(s.getNodeId(), s));
        return out;
    }

    /** The nodes with their Raft members' status set (and any stale one cleared). */
    public static List<Node> decorate(List<Node> nodes, Map<String, ManagerStatus> statuses) {
        return nodes.stream().map(n -> {
            ManagerStatus s = statuses.get(n.getId());
            return s == null ? n.toBuilder().clearManagerStatus().build() : n.toBuilder().setManagerStatus(s).build();
        }).toList();
    }

    /**
     * Whether removing {@code nodeId} from the group leaves the remaining members a majority of
     * the new, smaller group that can still be reached (swarmkit's {@code CanRemoveMember}).
     */
    public static boolean canRemove(Map<String, ManagerStatus> statuses, String nodeId) {
        if (!statuses.containsKey(nodeId)) {
            return true;
        }
        int remaining = statuses.size() - 1;
        long reachable = statuses.values().stream().filter(s -> !s.getNodeId().equals(nodeId))
                .filter(s -> s.getReachability() == Reachability.REACHABILITY_REACHABLE).count();
        return remaining == 0 || reachable >= remaining / 2 + 1;
    }

    /** Docker's sentence when a removal would lose quorum. */
    public static final String QUORUM_LOSS = "raft: member cannot be removed, because removing it may result in loss of quorum";
}
