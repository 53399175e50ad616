package dev.flotilla.daemon.membership;

import dev.flotilla.cluster.ca.DataKey;
import com.google.protobuf.ByteString;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.api.v1.JoinRequest;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.NodeCaGrpc;
import dev.flotilla.api.v1.AddManagerRequest;
import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.RenewCertificateRequest;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.RaftMember;
import dev.flotilla.api.v1.RaftMembershipGrpc;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.manager.ClusterListener;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.cluster.ca.NodeCertificate;
import dev.flotilla.cluster.ca.NodeTls;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The joining side of {@code swarm join}: with nothing but the token, reach the manager over TLS
 * trusting only the CA whose digest the token carries, prove the token's secret, and come back
 * with a certificate for a key made here. Nothing is written: the caller records the result.
 */
final class NodeJoin {

    static final long DEADLINE_S = 10;

    /** What the CA granted: identity (key, certificate, root), role, and the manager that admitted it. */
    record Admitted(String nodeId, NodeRole role, NodeCertificate identity, String manager, String raftGroupId,
            List<RaftMember> raftMembers) {
    }

    private NodeJoin() {
    }

    static Admitted join(String tokenText, String remote, String hostname, String advertiseAddr) {
        JoinToken token = JoinToken.parse(tokenText.trim()).orElseThrow(() -> Errors.invalid(
                "invalid join token: expected SWMTKN-1-<CA digest>-<secret> as printed by \"flotilla swarm join-token\""));
        String manager = withPort(remote);
        KeyPair keys = CertificateAuthority.newKeyPair();
        ManagedChannel channel;
        try {
            channel = NettyChannelBuilder.forTarget(manager)
                    .sslContext(NodeTls.joining(token.caDigest()))
                    .overrideAuthority(CertificateAuthority.OU_MANAGER)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw Errors.invalid("invalid manager address " + remote + ": " + e.getMessage());
        }
        try {
            JoinResponse r = NodeCaGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                    .join(JoinRequest.newBuilder()
                            .setToken(token.toString())
                            .setHostname(hostname)
                            .setAdvertiseAddr(advertiseAddr)
                            .setPublicKey(ByteString.copyFrom(keys.getPublic().getEncoded()))
                            .build());
            X509Certificate cert = NodeCertificate.parseCertificate(r.getCertificatePem());
            X509Certificate root = NodeCertificate.parseCertificate(r.getRootCaPem());
            if (!JoinToken.digest(root.getEncoded()).equals(token.caDigest()) || !cert.getPublicKey().equals(keys.getPublic())) {
                throw Errors.internal("the manager answered with a certificate that does not match the token or this node's key");
            }
            cert.verify(root.getPublicKey());
            return new Admitted(r.getNodeId(), r.getRole(), new NodeCertificate(keys.getPrivate(), cert, root), manager,
                    r.getRaftGroupId(), r.getRaftMembersList());
        } catch (StatusRuntimeException e) {
            throw explain(e, manager);
        } catch (java.security.GeneralSecurityException e) {
            throw Errors.internal("the certificate from the manager is not valid: " + e.getMessage());
        } finally {
            channel.shutdownNow();
        }
    }

    /** A manager just admitted (or promoted) asks a manager to add its Raft member (mutual TLS). */
    static void addToRaft(NodeCertificate identity, List<String> managers, String raftAddr) {
        withManager(identity, managers, channel -> RaftMembershipGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .addManager(AddManagerRequest.newBuilder().setRaftAddr(raftAddr).build()));
    }

    /**
     * The swarm's data key, from a manager, for this node's manager certificate (mutual TLS);
     * empty when the swarm has none (an older build made it).
     */
    static dev.flotilla.api.v1.DataKeyResponse dataKey(NodeCertificate identity, List<String> managers) {
        return withManager(identity, managers, channel -> RaftMembershipGrpc.newBlockingStub(channel)
                .withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                .dataKey(dev.flotilla.api.v1.DataKeyRequest.getDefaultInstance()));
    }

    /**
     * Records the data key a manager handed this node (sealed at once if the swarm is autolocked)
     * and returns it; null when the swarm has none (an older build made it).
     */
    static DataKey saveDataKey(dev.flotilla.api.v1.DataKeyResponse answer, MembershipFiles files) throws java.io.IOException {
        if (answer.getKey().isEmpty()) {
            return null;
        }
        DataKey key = DataKey.of(answer.getKey().toByteArray());
        files.save(key, answer.getUnlockKey());
        return key;
    }

    /** How long a follower answering `node ls` waits for the leader's view of the Raft members. */
    static final long MEMBER_STATUS_DEADLINE_MS = 1000;

    /** The leader's live view of the Raft members, asked at {@code leaderAddr}; empty if it did not answer. */
    static java.util.Optional<List<dev.flotilla.api.v1.ManagerStatus>> memberStatus(NodeCertificate identity,
            String leaderAddr) {
        try {
            return java.util.Optional.of(withManager(identity, List.of(leaderAddr + ":" + ClusterListener.PORT),
                    channel -> RaftMembershipGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(MEMBER_STATUS_DEADLINE_MS, TimeUnit.MILLISECONDS)
                            .memberStatus(dev.flotilla.api.v1.MemberStatusRequest.getDefaultInstance())
                            .getMembersList()));
        } catch (StatusRuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /**
     * A certificate for the role the store now gives this node, for a key made here; checked
     * against the root this node already trusts.
     */
    static NodeCertificate renew(NodeCertificate identity, List<String> managers, KeyPair keys, JoinResponse[] answer) {
        JoinResponse r = withManager(identity, managers, channel -> DispatcherGrpc.newBlockingStub(channel)
                .withDeadlineAfter(DEADLINE_S, TimeUnit.SECONDS)
                .renewCertificate(RenewCertificateRequest.newBuilder()
                        .setPublicKey(ByteString.copyFrom(keys.getPublic().getEncoded())).build()));
        X509Certificate cert = NodeCertificate.parseCertificate(r.getCertificatePem());
        try {
            cert.verify(identity.rootCa().getPublicKey());
        } catch (java.security.GeneralSecurityException e) {
            throw Errors.internal("the renewed certificate is not signed by the swarm's root CA: " + e.getMessage());
        }
        if (!cert.getPublicKey().equals(keys.getPublic())) {
            throw Errors.internal("the renewed certificate is not for this node's key");
        }
        answer[0] = r;
        return new NodeCertificate(keys.getPrivate(), cert, identity.rootCa());
    }

    /** Runs {@code call} against each manager in turn until one answers. */
    private static <T> T withManager(NodeCertificate identity, List<String> managers,
            java.util.function.Function<ManagedChannel, T> call) {
        StatusRuntimeException last = Errors.unavailable("no manager is known");
        for (String m : managers) {
            ManagedChannel channel;
            try {
                channel = NettyChannelBuilder.forTarget(m)
                        .sslContext(identity.clientContext())
                        .overrideAuthority(CertificateAuthority.OU_MANAGER)
                        .build();
            } catch (SSLException e) {
                throw Errors.internal("cannot use this node's certificate: " + e.getMessage());
            }
            try {
                return call.apply(channel);
            } catch (StatusRuntimeException e) {
                last = explain(e, m);
            } finally {
                channel.shutdownNow();
            }
        }
        throw last;
    }

    private static StatusRuntimeException explain(StatusRuntimeException e, String manager) {
        Status s = e.getStatus();
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c instanceof CertificateException) {
                return Status.PERMISSION_DENIED.withDescription("the node at " + manager
                        + " is not a manager of the swarm this token belongs to: " + c.getMessage()).asRuntimeException();
            }
        }
        return switch (s.getCode()) {
            case PERMISSION_DENIED, INVALID_ARGUMENT -> s.asRuntimeException();
            case DEADLINE_EXCEEDED -> Errors.unavailable("the manager at " + manager + " did not answer within "
                    + DEADLINE_S + " s");
            default -> Errors.unavailable("cannot reach the manager at " + manager + ": "
                    + (s.getDescription() != null ? s.getDescription() : s.getCode().toString()));
        };
    }

    static String withPort(String remote) {
        String r = remote.trim();
        if (r.isEmpty()) {
            throw Errors.invalid("the address of a manager is required: flotilla swarm join --token TOKEN HOST:PORT");
        }
        return r.lastIndexOf(':') > 0 ? r : r + ":" + ClusterListener.PORT;
    }
}
