package dev.flotilla.cluster.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.DispatcherGrpc;
import dev.flotilla.api.v1.HeartbeatRequest;
import dev.flotilla.api.v1.HeartbeatResponse;
import dev.flotilla.cluster.ca.CertificateAuthority;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Port 2377's gate: every call but the join needs a node certificate of this swarm's CA, for this
 * cluster, of a node the swarm still knows; the service sees who called.
 */
class NodeAuthTest {

    private final CertificateAuthority ca = CertificateAuthority.create();
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final List<String> callers = new CopyOnWriteArrayList<>();
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
    private Server server;

    @BeforeEach
    void start() throws Exception {
        NodeCertificate manager = issue(ca, "manager1", true, "cluster1");
        DispatcherGrpc.DispatcherImplBase service = new DispatcherGrpc.DispatcherImplBase() {
            @Override
            public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> out) {
                callers.add(NodeAuthInterceptor.PEER.get().nodeId());
                out.onNext(HeartbeatResponse.newBuilder().setPeriodMs(5000).build());
                out.onCompleted();
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(manager.serverContext())
                .addService(ServerInterceptors.intercept(service, new NodeAuthInterceptor("cluster1", known::contains)))
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private static NodeCertificate issue(CertificateAuthority ca, String id, boolean manager, String cluster) {
        KeyPair keys = CertificateAuthority.newKeyPair();
        return new NodeCertificate(keys.getPrivate(), ca.issue(id, manager, cluster, keys.getPublic(), "127.0.0.1"),
                ca.certificate());
    }

    private HeartbeatResponse heartbeat(SslContext tls) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .sslContext(tls).overrideAuthority(CertificateAuthority.OU_MANAGER).build();
        channels.add(channel);
        return DispatcherGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .heartbeat(HeartbeatRequest.getDefaultInstance());
    }

    @Test
    void aKnownNodeOfThisSwarmIsLetInAndNamed() throws Exception {
        known.add("worker1");
        assertThat(heartbeat(issue(ca, "worker1", false, "cluster1").clientContext()).getPeriodMs()).isEqualTo(5000);
        assertThat(callers).containsExactly("worker1");
    }

    @Test
    void withoutACertificateOnlyTheJoinIsOpen() throws Exception {
        SslContext anonymous = GrpcSslContexts.forClient().trustManager(ca.certificate()).build();
        assertThatThrownBy(() -> heartbeat(anonymous)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(e.getStatus().getDescription()).contains("node certificate");
        });
        assertThat(callers).isEmpty();
    }

    @Test
    void aRemovedNodesCertificateOpensNothing() throws Exception {
        assertThatThrownBy(() -> heartbeat(issue(ca, "gone", false, "cluster1").clientContext()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("removed from the swarm");
                });
        assertThat(callers).isEmpty();
    }

    @Test
    void aCertificateOfAnotherCaFailsTheHandshake() throws Exception {
        known.add("worker1");
        CertificateAuthority other = CertificateAuthority.create();
        NodeCertificate foreign = issue(other, "worker1", false, "cluster1");
        // Trusting our CA for the server, but presenting a certificate our CA never signed.
        SslContext tls = NodeTls.member(foreign.key(), new X509Certificate[] {foreign.certificate(), other.certificate()},
                ca.certificate());
        assertThatThrownBy(() -> heartbeat(tls)).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(callers).isEmpty();
    }

    @Test
    void aCertificateOfAnotherClusterIsRefused() throws Exception {
        known.add("worker1");
        assertThatThrownBy(() -> heartbeat(issue(ca, "worker1", false, "cluster2").clientContext()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }
}
