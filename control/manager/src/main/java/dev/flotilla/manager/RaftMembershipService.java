package dev.flotilla.manager;

import dev.flotilla.cluster.store.Actions;

import dev.flotilla.api.v1.AddManagerRequest;
import dev.flotilla.api.v1.AddManagerResponse;
import dev.flotilla.api.v1.DataKeyRequest;
import dev.flotilla.api.v1.DataKeyResponse;
import dev.flotilla.api.v1.MemberStatusRequest;
import dev.flotilla.api.v1.MemberStatusResponse;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.v1.RaftMembershipGrpc;
import dev.flotilla.cluster.ca.NodeAuthInterceptor;
import dev.flotilla.cluster.ca.PeerIdentity;
import dev.flotilla.cluster.rpc.Errors;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds a freshly admitted manager to the Raft group. Only a node holding a manager certificate,
 * recorded in the store as a manager, may ask, and only for itself at its own address.
 */
final class RaftMembershipService extends RaftMembershipGrpc.RaftMembershipImplBase {

    private static final Logger log = LoggerFactory.getLogger(RaftMembershipService.class);

    private final Manager manager;

    RaftMembershipService(Manager manager) {
        this.manager = manager;
    }

    @Override
    public void addManager(AddManagerRequest request, StreamObserver<AddManagerResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        Node node = manager.view().node(peer.nodeId()).orElse(null);
        if (!peer.manager() || node == null || node.getRole() != NodeRole.MANAGER) {
            out.onError(Errors.denied("only a manager may join the Raft group"));
            return;
        }
        String addr = request.getRaftAddr();
        if (!addr.startsWith(node.getAddr() + ":")) {
            out.onError(Errors.invalid("the Raft address " + addr + " is not on the node's advertise address "
                    + node.getAddr()));
            return;
        }
        try {
            log.info("Adding manager {} ({}) to the Raft group at {}", node.getId(), node.getHostname(), addr);
            manager.raft().addMember(node.getId(), addr);
            Node current = manager.view().node(node.getId()).orElse(null);
            if (current == null || current.getRole() != NodeRole.MANAGER) {
                // The promotion was given up (or the node removed) while Raft caught the member up.
                manager.raft().removeMember(node.getId());
                out.onError(Errors.precondition("this node is no longer to be a manager"));
                return;
            }
            manager.write(List.of(Actions.update(current.toBuilder().setState(NodeState.NODE_READY).setStatusMessage("").build())));
            out.onNext(AddManagerResponse.getDefaultInstance());
            out.onCompleted();
        } catch (IOException | RuntimeException e) {
            log.warn("Manager {} could not join the Raft group: {}", node.getId(), e.getMessage());
            out.onError(Errors.unavailable(e, "the Raft group did not add this manager"));
        }
    }

    /**
     * The swarm's data key, for a manager being admitted or promoted: only a node holding a manager
     * certificate and recorded as a manager in the store gets it (over the mutual TLS of port 2377).
     */
    @Override
    public void dataKey(DataKeyRequest request, StreamObserver<DataKeyResponse> out) {
        PeerIdentity peer = NodeAuthInterceptor.PEER.get();
        Node node = manager.view().node(peer.nodeId()).orElse(null);
        if (!peer.manager() || node == null || node.getRole() != NodeRole.MANAGER) {
            out.onError(Errors.denied("only a manager may have the swarm's data key"));
            return;
        }
        DataKeyResponse.Builder b = DataKeyResponse.newBuilder();
        manager.raft().dataKey().ifPresent(k -> b.setKey(com.google.protobuf.ByteString.copyFrom(k.bytes())));
        manager.view().cluster().filter(c -> c.getAutolock()).ifPresent(c -> b.setUnlockKey(c.getUnlockKey()));
        log.info("Handing the data key to manager {} ({})", node.getId(), node.getHostname());
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void memberStatus(MemberStatusRequest request, StreamObserver<MemberStatusResponse> out) {
        if (!NodeAuthInterceptor.PEER.get().manager()) {
            out.onError(Errors.denied("only a manager may ask for the Raft members"));
            return;
        }
        if (!manager.isLeader()) {
            out.onError(Errors.precondition("this manager is not the leader"));
            return;
        }
        out.onNext(MemberStatusResponse.newBuilder().addAllMembers(ManagerStatuses.of(manager.raft().memberView())).build());
        out.onCompleted();
    }
}
