package dev.flotilla.cluster.ca;

import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLException;

/**
 * TLS contexts between nodes. Managers serve with their node certificate and ask for the
 * client's (optional, so a joining node with only a token can reach the CA service; every other
 * service refuses a call without one). Nodes that hold a certificate use it (mutual TLS).
 */
public final class NodeTls {

    private NodeTls() {
    }

    /** A manager's server side: its key, its certificate chain (leaf first, root last). */
    public static SslContext server(PrivateKey key, X509Certificate[] chain, X509Certificate rootCa) throws SSLException {
        return GrpcSslContexts.configure(SslContextBuilder.forServer(key, chain))
                .trustManager(rootCa)
                .clientAuth(ClientAuth.OPTIONAL)
                .build();
    }

    /** A joining node: no certificate yet; trusts the manager only through the token's CA digest. */
    public static SslContext joining(String caDigest) throws SSLException {
        return GrpcSslContexts.forClient().trustManager(new PinnedCaTrustManager(caDigest)).build();
    }

    /** A node with its certificate: mutual TLS, trusting only the swarm's root CA. */
    public static SslContext member(PrivateKey key, X509Certificate[] chain, X509Certificate rootCa) throws SSLException {
        return GrpcSslContexts.forClient().keyManager(key, chain).trustManager(rootCa).build();
    }
}
