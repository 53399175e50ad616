package dev.flotilla.manager;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.JoinRequest;
import dev.flotilla.api.v1.JoinResponse;
import dev.flotilla.api.v1.JoinTokens;
import dev.flotilla.api.v1.NodeCaGrpc;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import dev.flotilla.cluster.ca.NodeTls;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.SslContext;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A node with nothing but a token joins a manager over TLS, pinning the CA by the token's digest. */
class JoinOverTlsTest {

    private final CertificateAuthority ca = CertificateAuthority.create();
    private final Cluster cluster = Cluster.newBuilder()
            .setId("cluster1")
            .setRootCaCertPem(ca.certificatePem())
            .setRootCaKeyPem(ca.privateKeyPem())
            .setJoinTokens(JoinTokens.newBuilder()
                    .setWorker(JoinToken.generate(ca.certificateDer()).toString())
                    .setManager(JoinToken.generate(ca.certificateDer()).toString()))
            .build();
    private final List<String> admitted = new CopyOnWriteArrayList<>();
    private Server server;
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startManager() throws Exception {
        KeyPair key = CertificateAuthority.newKeyPair();
        X509Certificate cert = ca.issue("manager1", true, cluster.getId(), key.getPublic());
        NodeCaService.Admission admission = new NodeCaService.Admission() {
            public Optional<Cluster> cluster() {
                return Optional.of(cluster);
            }

            public void admit(String nodeId, NodeRole role, String hostname, String addr) {
                admitted.add(nodeId + "/" + role + "/" + hostname);
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(NodeTls.server(key.getPrivate(), new X509Certificate[] {cert, ca.certificate()},
                        ca.certificate()))
                .addService(new NodeCaService(admission))
                .build()
                .start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private JoinResponse join(String token, SslContext tls) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                .sslContext(tls).overrideAuthority(CertificateAuthority.OU_MANAGER).build();
        channels.add(channel);
        KeyPair nodeKey = CertificateAuthority.newKeyPair();
        return NodeCaGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .join(JoinRequest.newBuilder().setToken(token).setHostname("worker-a").setAdvertiseAddr("198.18.0.2")
                        .setPublicKey(ByteString.copyFrom(nodeKey.getPublic().getEncoded())).build());
    }

    private static X509Certificate parse(String pem) throws Exception {
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(java.util.Base64.getDecoder().decode(body)));
    }

    @Test
    void workerTokenGetsAWorkerCertificateSignedByTheSwarmCa() throws Exception {
        String token = cluster.getJoinTokens().getWorker();
        JoinResponse r = join(token, NodeTls.joining(JoinToken.parse(token).orElseThrow().caDigest()));
        assertThat(r.getRole()).isEqualTo(NodeRole.WORKER);
        X509Certificate cert = parse(r.getCertificatePem());
        cert.verify(ca.certificate().getPublicKey());
        assertThat(cert.getSubjectX500Principal().getName())
                .contains("CN=" + r.getNodeId()).contains("OU=swarm-worker").contains("O=cluster1");
        assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(admitted).containsExactly(r.getNodeId() + "/WORKER/worker-a");
    }

    @Test
    void managerTokenGetsAManagerCertificate() throws Exception {
        String token = cluster.getJoinTokens().getManager();
        JoinResponse r = join(token, NodeTls.joining(JoinToken.parse(token).orElseThrow().caDigest()));
        assertThat(r.getRole()).isEqualTo(NodeRole.MANAGER);
        assertThat(parse(r.getCertificatePem()).getSubjectX500Principal().getName()).contains("OU=swarm-manager");
    }

    @Test
    void wrongSecretIsRefusedAndAdmitsNobody() throws Exception {
        String good = cluster.getJoinTokens().getWorker();
        JoinToken parsed = JoinToken.parse(good).orElseThrow();
        String wrong = new JoinToken(parsed.caDigest(), "0".repeat(25)).toString();
        assertThatThrownBy(() -> join(wrong, NodeTls.joining(parsed.caDigest())))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(e.getStatus().getDescription()).contains("not valid for this swarm");
                });
        assertThatThrownBy(() -> join("SWMTKN-1-garbage", NodeTls.joining(parsed.caDigest())))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(admitted).isEmpty();
    }

    @Test
    void aTokenOfAnotherSwarmFailsTheHandshake() throws Exception {
        String foreignDigest = JoinToken.digest(CertificateAuthority.create().certificateDer());
        String token = new JoinToken(foreignDigest, JoinToken.parse(cluster.getJoinTokens().getWorker())
                .orElseThrow().secret()).toString();
        assertThatThrownBy(() -> join(token, NodeTls.joining(foreignDigest)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(admitted).isEmpty();
    }

    @Test
    void rotatedTokenNoLongerAdmits() throws Exception {
        String old = cluster.getJoinTokens().getWorker();
        Cluster rotated = cluster.toBuilder().setJoinTokens(cluster.getJoinTokens().toBuilder()
                .setWorker(JoinToken.generate(ca.certificateDer()).toString())).build();
        assertThatThrownBy(() -> NodeCaService.roleOf(rotated, old))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(NodeCaService.roleOf(rotated, rotated.getJoinTokens().getWorker())).isEqualTo(NodeRole.WORKER);
    }
}
