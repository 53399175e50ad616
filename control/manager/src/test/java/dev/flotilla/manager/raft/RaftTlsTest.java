package dev.flotilla.manager.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.store.MemoryStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import dev.flotilla.cluster.ca.NodeCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raft between managers is mutual TLS: the port speaks TLS and wants a certificate of the swarm's CA. */
class RaftTlsTest {

    private final CertificateAuthority ca = CertificateAuthority.create();
    private RaftNode raft;
    private int port;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        KeyPair keys = CertificateAuthority.newKeyPair();
        X509Certificate cert = ca.issue("m1", true, "c1", keys.getPublic(), "127.0.0.1");
        raft = RaftNode.start(Files.createDirectories(dir.resolve("raft")), UUID.randomUUID(), "m1", "127.0.0.1", port,
                List.of(RaftNode.peer("m1", "127.0.0.1:" + port)), List.of(), new MemoryStore(),
                new NodeCertificate(keys.getPrivate(), cert, ca.certificate()), dev.flotilla.cluster.ca.DataKey.generate());
    }

    @AfterEach
    void stop() throws IOException {
        raft.close();
    }

    private SSLSocket connect(X509Certificate cert, KeyPair keys) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        if (cert != null) {
            identity.setKeyEntry("node", keys.getPrivate(), new char[0], new Certificate[] {cert, ca.certificate()});
        }
        kmf.init(identity, new char[0]);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        javax.net.ssl.SSLParameters params = socket.getSSLParameters();
        params.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(params);
        return socket;
    }

    @Test
    void aManagerCertificateCompletesTheHandshakeWithTheMembersCertificate() throws Exception {
        KeyPair keys = CertificateAuthority.newKeyPair();
        try (SSLSocket s = connect(ca.issue("m2", true, "c1", keys.getPublic(), "127.0.0.1"), keys)) {
            s.startHandshake();
            X509Certificate peer = (X509Certificate) s.getSession().getPeerCertificates()[0];
            assertThat(peer.getSubjectX500Principal().getName()).contains("CN=m1", "OU=swarm-manager");
        }
    }

    @Test
    void aClientWithoutCertificateIsRefused() {
        assertThatThrownBy(() -> {
            try (SSLSocket s = connect(null, null)) {
                s.startHandshake();
                // TLS 1.3 reports the refused client certificate on the first read.
                s.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes());
                s.getOutputStream().flush();
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed by the server");
                }
            }
        }).isInstanceOf(IOException.class);
    }
}
