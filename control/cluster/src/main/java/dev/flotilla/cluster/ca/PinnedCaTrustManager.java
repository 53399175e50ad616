package dev.flotilla.cluster.ca;

import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a manager only if its chain ends in the root CA whose digest the join token carries,
 * and the leaf is signed by that root. This is how a node that has nothing but a token knows it
 * talks to its swarm's manager, before it holds any certificate (swarmkit's CA pinning).
 */
public final class PinnedCaTrustManager extends X509ExtendedTrustManager {

    private final String caDigest;

    public PinnedCaTrustManager(String caDigest) {
        this.caDigest = caDigest;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length < 2) {
            throw new CertificateException("the manager sent no CA certificate with its own");
        }
        X509Certificate root = chain[chain.length - 1];
        String digest = JoinToken.digest(root.getEncoded());
        if (!digest.equals(caDigest)) {
            throw new CertificateException("the manager's root CA does not match the join token "
                    + "(digest " + digest + "): wrong token or wrong manager");
        }
        try {
            root.checkValidity();
            root.verify(root.getPublicKey());
            for (int i = chain.length - 2; i >= 0; i--) {
                chain[i].checkValidity();
                chain[i].verify(chain[i + 1].getPublicKey());
            }
        } catch (GeneralSecurityException e) {
            throw new CertificateException("the manager's certificate chain is not valid: " + e.getMessage(), e);
        }
        // Any node of the swarm holds a certificate of this CA; only a manager's may answer here.
        if (!chain[0].getSubjectX500Principal().getName().contains("OU=" + CertificateAuthority.OU_MANAGER)) {
            throw new CertificateException("the peer is a swarm node but not a manager");
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a joining node does not accept clients");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
