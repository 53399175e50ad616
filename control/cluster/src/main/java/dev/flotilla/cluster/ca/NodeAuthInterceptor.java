package dev.flotilla.cluster.ca;

import dev.flotilla.api.v1.NodeCaGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The gate of port 2377. TLS has already checked that a client certificate, if any, chains to the
 * swarm's root CA; here every call but {@code NodeCa/Join} must come with one, from this cluster,
 * naming a node the swarm still knows (a removed node's certificate opens nothing). The caller's
 * identity is then in {@link #PEER} for the service.
 */
public final class NodeAuthInterceptor implements ServerInterceptor {

    public static final Context.Key<PeerIdentity> PEER = Context.key("flotilla-peer");

    private final String clusterId;
    private final Predicate<String> knownNode;

    public NodeAuthInterceptor(String clusterId, Predicate<String> knownNode) {
        this.clusterId = clusterId;
        this.knownNode = knownNode;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (call.getMethodDescriptor().getServiceName().equals(NodeCaGrpc.SERVICE_NAME)) {
            return next.startCall(call, headers);
        }
        Optional<PeerIdentity> peer = peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        Status refusal = null;
        if (peer.isEmpty()) {
            refusal = Status.UNAUTHENTICATED.withDescription("this call needs a node certificate of the swarm: join it first");
        } else if (!peer.get().clusterId().equals(clusterId)) {
            refusal = Status.PERMISSION_DENIED.withDescription("the node certificate belongs to another swarm");
        } else if (!knownNode.test(peer.get().nodeId())) {
            refusal = Status.PERMISSION_DENIED.withDescription("node " + peer.get().nodeId() + " was removed from the swarm");
        }
        if (refusal != null) {
            call.close(refusal, new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return Contexts.interceptCall(Context.current().withValue(PEER, peer.get()), call, headers, next);
    }

    private static Optional<PeerIdentity> peer(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x ? PeerIdentity.of(x) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }
}
