package dev.flotilla.cluster.ca;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JoinTokenTest {

    @Test
    void tokenHasSwarmkitsShape() {
        CertificateAuthority ca = CertificateAuthority.create();
        String token = JoinToken.generate(ca.certificateDer()).toString();
        assertThat(token).matches("SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}");
        assertThat(JoinToken.parse(token)).isPresent();
        assertThat(JoinToken.parse(token).orElseThrow().caDigest()).isEqualTo(JoinToken.digest(ca.certificateDer()));
    }

    @Test
    void tokensOfOneCaShareTheDigestButNotTheSecret() {
        CertificateAuthority ca = CertificateAuthority.create();
        JoinToken worker = JoinToken.generate(ca.certificateDer());
        JoinToken manager = JoinToken.generate(ca.certificateDer());
        assertThat(worker.caDigest()).isEqualTo(manager.caDigest());
        assertThat(worker.secret()).isNotEqualTo(manager.secret());
        assertThat(JoinToken.digest(CertificateAuthority.create().certificateDer())).isNotEqualTo(worker.caDigest());
    }

    @Test
    void malformedTokensAreRefused() {
        assertThat(JoinToken.parse("SWMTKN-1-abc-def")).isEmpty();
        assertThat(JoinToken.parse("")).isEmpty();
        assertThat(JoinToken.parse(null)).isEmpty();
        assertThat(JoinToken.parse("SWMTKN-2-" + "a".repeat(50) + "-" + "b".repeat(25))).isEmpty();
    }

    @Test
    void caSurvivesPemRoundTrip() {
        CertificateAuthority ca = CertificateAuthority.create();
        CertificateAuthority back = CertificateAuthority.fromPem(ca.certificatePem(), ca.privateKeyPem());
        assertThat(back.certificateDer()).isEqualTo(ca.certificateDer());
        assertThat(ca.certificate().getPublicKey().getAlgorithm()).isEqualTo("EC");
    }
}
