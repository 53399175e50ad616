package dev.flotilla.cluster.ca;

import dev.flotilla.cluster.ca.CertificateAuthority;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Who a certificate names: CN = node id, OU = role, O = cluster id (see CertificateAuthority.issue). */
public record PeerIdentity(String nodeId, boolean manager, String clusterId) {

    public static Optional<PeerIdentity> of(X509Certificate cert) {
        String cn = null;
        String ou = null;
        String o = null;
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                switch (rdn.getType().toUpperCase(java.util.Locale.ROOT)) {
                    case "CN" -> cn = rdn.getValue().toString();
                    case "OU" -> ou = rdn.getValue().toString();
                    case "O" -> o = rdn.getValue().toString();
                    default -> { }
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (cn == null || o == null || !(CertificateAuthority.OU_MANAGER.equals(ou) || CertificateAuthority.OU_WORKER.equals(ou))) {
            return Optional.empty();
        }
        return Optional.of(new PeerIdentity(cn, CertificateAuthority.OU_MANAGER.equals(ou), o));
    }
}
