package dev.flotilla.cluster.ca;

import dev.flotilla.common.DurableFiles;
import dev.flotilla.cluster.ca.CertificateAuthority;
import io.netty.handler.ssl.SslContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * A node's TLS identity: its private key (made on the node, never sent), the certificate the
 * swarm CA signed for it, and the swarm's root CA, which is the only root it trusts. Kept under
 * {@code <data-root>/certificates} as swarmkit does: {@value #ROOT}, {@value #CERT}, {@value #KEY}
 * (0600).
 */
public record NodeCertificate(PrivateKey key, X509Certificate certificate, X509Certificate rootCa) {

    static final String ROOT = "swarm-root-ca.crt";
    static final String CERT = "swarm-node.crt";
    static final String KEY = "swarm-node.key";

    /** Signs a certificate for this node with the CA it holds (the first manager, at init). */
    public static NodeCertificate selfIssued(CertificateAuthority ca, String nodeId, String addr, String clusterId) {
        KeyPair keys = CertificateAuthority.newKeyPair();
        return new NodeCertificate(keys.getPrivate(), ca.issue(nodeId, true, clusterId, keys.getPublic(), addr),
                ca.certificate());
    }

    /** The node id, role and cluster the certificate was signed for. */
    public PeerIdentity identity() {
        return PeerIdentity.of(certificate).orElseThrow(() ->
                new IllegalStateException("the node certificate names no node: " + certificate.getSubjectX500Principal()));
    }

    public SslContext serverContext() throws SSLException {
        return NodeTls.server(key, new X509Certificate[] {certificate, rootCa}, rootCa);
    }

    public SslContext clientContext() throws SSLException {
        return NodeTls.member(key, new X509Certificate[] {certificate, rootCa}, rootCa);
    }

    public static Optional<NodeCertificate> load(Path dir) throws IOException {
        DurableFiles.removeLeftovers(dir);
        if (!Files.exists(dir.resolve(CERT))) {
            return Optional.empty();
        }
        return Optional.of(new NodeCertificate(
                readKey(Files.readString(dir.resolve(KEY))),
                parseCertificate(Files.readString(dir.resolve(CERT))),
                parseCertificate(Files.readString(dir.resolve(ROOT)))));
    }

    /** Writes all three files (key first, 0600), each atomically. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        write(dir.resolve(KEY), pem("PRIVATE KEY", key.getEncoded()));
        write(dir.resolve(CERT), CertificateAuthority.pem(certificate));
        write(dir.resolve(ROOT), CertificateAuthority.pem(rootCa));
    }

    public static void delete(Path dir) throws IOException {
        for (String f : new String[] {KEY, CERT, ROOT}) {
            Files.deleteIfExists(dir.resolve(f));
        }
    }

    public static X509Certificate parseCertificate(String pem) {
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(java.util.Base64.getDecoder().decode(body)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("unreadable certificate: " + e.getMessage(), e);
        }
    }

    private static PrivateKey readKey(String pem) throws IOException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
        } catch (ClassCastException e) {
            throw new IOException("the node key is not a PKCS#8 private key", e);
        }
    }

    private static String pem(String type, byte[] der) {
        java.io.StringWriter out = new java.io.StringWriter();
        try (PemWriter w = new PemWriter(out)) {
            w.writeObject(new PemObject(type, der));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static void write(Path file, String text) throws IOException {
        DurableFiles.write(file, text.getBytes(StandardCharsets.US_ASCII),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
}
