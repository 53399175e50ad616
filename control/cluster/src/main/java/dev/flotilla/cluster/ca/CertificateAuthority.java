package dev.flotilla.cluster.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The swarm's root CA: an ECDSA P-256 key and a self-signed certificate valid 20 years, as
 * swarmkit makes at {@code swarm init}. Node certificates are issued from it when nodes join.
 */
public record CertificateAuthority(X509Certificate certificate, KeyPair keyPair) {

    /** swarmkit's root CA lifetime. */
    static final Duration ROOT_VALIDITY = Duration.ofDays(365L * 20);

    /** swarmkit's node certificate lifetime. */
    static final Duration NODE_VALIDITY = Duration.ofDays(90);
    /** The organizational unit that carries a node's role, as swarmkit writes it. */
    public static final String OU_MANAGER = "swarm-manager";
    public static final String OU_WORKER = "swarm-worker";

    /** A new ECDSA P-256 key pair, for the CA or a node. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA P-256 is missing from this JVM", e);
        }
    }

    /**
     * Signs a node certificate: CN = node id, OU = its role, O = the cluster id, valid 90 days,
     * usable for both ends of mutual TLS. The role is the one the join token decided. Names: the
     * role (what peers check, as swarmkit's "swarm-manager"), the node id and, when known, the
     * node's advertise address (so Raft peers can verify each other by address).
     */
    public X509Certificate issue(String nodeId, boolean manager, String clusterId, PublicKey nodeKey) {
        return issue(nodeId, manager, clusterId, nodeKey, null);
    }

    public X509Certificate issue(String nodeId, boolean manager, String clusterId, PublicKey nodeKey, String ipAddress) {
        try {
            X500Name subject = new X500Name("O=" + clusterId + ",OU=" + (manager ? OU_MANAGER : OU_WORKER)
                    + ",CN=" + nodeId);
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    new BigInteger(128, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(NODE_VALIDITY)), subject, nodeKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            java.util.List<GeneralName> names = new java.util.ArrayList<>(java.util.List.of(
                    new GeneralName(GeneralName.dNSName, manager ? OU_MANAGER : OU_WORKER),
                    new GeneralName(GeneralName.dNSName, nodeId)));
            if (ipAddress != null && !ipAddress.isEmpty()) {
                names.add(new GeneralName(GeneralName.iPAddress, ipAddress));
            }
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(new GeneralName[0])));
            X509CertificateHolder holder = builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(keyPair.getPrivate()));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue a certificate for node " + nodeId + ": " + e.getMessage(), e);
        }
    }

    public static CertificateAuthority create() {
        try {
            KeyPair keys = newKeyPair();
            X500Name name = new X500Name("CN=swarm-ca");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(128, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
                    Date.from(now.plus(ROOT_VALIDITY)), name, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            X509CertificateHolder holder = builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
            return new CertificateAuthority(new JcaX509CertificateConverter().getCertificate(holder), keys);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot create the swarm root CA: " + e.getMessage(), e);
        }
    }

    public byte[] certificateDer() {
        try {
            return certificate.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String certificatePem() {
        return pem(certificate);
    }

    /** PKCS#8 ("PRIVATE KEY"), which carries the curve with the key. */
    public String privateKeyPem() {
        return pem(new PemObject("PRIVATE KEY", keyPair.getPrivate().getEncoded()));
    }

    /** Reads a CA back from the PEM texts kept in the cluster object. */
    public static CertificateAuthority fromPem(String certPem, String keyPem) {
        try (PEMParser certs = new PEMParser(new StringReader(certPem));
                PEMParser keys = new PEMParser(new StringReader(keyPem))) {
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate((X509CertificateHolder) certs.readObject());
            Object key = keys.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            // An "EC PRIVATE KEY" block may omit the public key: the certificate always has it.
            PrivateKey privateKey = key instanceof PEMKeyPair pair
                    ? converter.getPrivateKey(pair.getPrivateKeyInfo())
                    : converter.getPrivateKey((PrivateKeyInfo) key);
            return new CertificateAuthority(cert, new KeyPair(cert.getPublicKey(), privateKey));
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            throw new IllegalStateException("unreadable swarm root CA: " + e.getMessage(), e);
        }
    }

    /** A certificate as PEM text. */
    public static String pem(X509Certificate cert) {
        return pem((Object) cert);
    }

    private static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}
