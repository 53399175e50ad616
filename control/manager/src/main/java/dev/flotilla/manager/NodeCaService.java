package dev.flotilla.manager;

import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.JoinRequest;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.NodeCaGrpc;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.RaftMember;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.common.Ids;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The swarm CA's join service. A token is checked against the cluster's current tokens in
 * constant time; a refused join writes nothing. Tokens never reach a log line.
 */
public final class NodeCaService extends NodeCaGrpc.NodeCaImplBase {

    private static final Logger log = LoggerFactory.getLogger(NodeCaService.class);

    /** Where admitted nodes are recorded: the manager's store, or a fake in tests. */
    public interface Admission {
        /** The cluster object with CA and tokens; empty when this node is not a manager. */
        Optional<Cluster> cluster();

        /** Records a newly admitted node. */
        void admit(String nodeId, NodeRole role, String hostname, String addr);

        /** The Raft group a new manager joins. */
        default String raftGroupId() {
            return "";
        }

        /** The Raft group's current members. */
        default List<RaftMember> raftMembers() {
            return List.of();
        }
    }

    private final Admission admission;

    public NodeCaService(Admission admission) {
        this.admission = admission;
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> out) {
        try {
            out.onNext(admit(request));
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        } catch (RuntimeException e) {
            log.warn("Join refused: {}", e.getMessage());
            out.onError(Errors.unavailable(e, "the manager cannot admit nodes now"));
        }
    }

    private JoinResponse admit(JoinRequest request) {
        Cluster cluster = admission.cluster().orElseThrow(() -> Errors.unavailable(Errors.NOT_A_MANAGER));
        NodeRole role = roleOf(cluster, request.getToken());
        PublicKey key = publicKey(request.getPublicKey().toByteArray());
        CertificateAuthority ca = CertificateAuthority.fromPem(cluster.getRootCaCertPem(), cluster.getRootCaKeyPem());
        String nodeId = Ids.newId();
        X509Certificate cert = ca.issue(nodeId, role == NodeRole.MANAGER, cluster.getId(), key, validAddress(request.getAdvertiseAddr()));
        admission.admit(nodeId, role, request.getHostname(), request.getAdvertiseAddr());
        log.info("Node {} ({}, {}) joined as {}", nodeId, request.getHostname(), request.getAdvertiseAddr(), role);
        JoinResponse.Builder r = JoinResponse.newBuilder()
                .setNodeId(nodeId)
                .setRole(role)
                .setCertificatePem(CertificateAuthority.pem(cert))
                .setRootCaPem(cluster.getRootCaCertPem())
                .setClusterId(cluster.getId());
        if (role == NodeRole.MANAGER) {
            r.setRaftGroupId(admission.raftGroupId()).addAllRaftMembers(admission.raftMembers());
        }
        return r.build();
    }

    /** The role a valid token grants; PERMISSION_DENIED for anything else. */
    static NodeRole roleOf(Cluster cluster, String token) {
        Optional<JoinToken> parsed = JoinToken.parse(token);
        if (parsed.isEmpty()) {
            throw Errors.denied("invalid join token: expected SWMTKN-1-<CA digest>-<secret>");
        }
        if (sameSecret(token, cluster.getJoinTokens().getManager())) {
            return NodeRole.MANAGER;
        }
        if (sameSecret(token, cluster.getJoinTokens().getWorker())) {
            return NodeRole.WORKER;
        }
        throw Errors.denied("The join token is not valid for this swarm: it is wrong or was rotated. "
                + "Ask a manager for the current one: flotilla swarm join-token worker|manager");
    }

    private static boolean sameSecret(String given, String current) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.US_ASCII), current.getBytes(StandardCharsets.US_ASCII));
    }

    /** The joining node's advertise address, for its certificate: a literal IPv4 address or nothing. */
    private static String validAddress(String addr) {
        if (!addr.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw Errors.invalid("the advertise address must be an IPv4 address, not \"" + addr + "\"");
        }
        return addr;
    }

    public static PublicKey publicKey(byte[] der) {
        try {
            PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
            if (!key.getAlgorithm().equals("EC")) {
                throw Errors.invalid("the node key must be ECDSA P-256");
            }
            return key;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw Errors.invalid("unreadable node public key: " + e.getMessage());
        }
    }
}
