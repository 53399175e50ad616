package dev.flotilla.daemon.membership;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.InitSwarmRequest;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.NodeAvailability;
import dev.flotilla.api.v1.NodeRole;
import dev.flotilla.api.v1.NodeState;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.cluster.ca.CertificateAuthority;
import dev.flotilla.cluster.ca.JoinToken;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A new swarm starts with its cluster object, its first node (the leader) and the ingress network. */
class InitialObjectsTest {

    private static final SwarmState FIRST = new SwarmState("n1", UUID.randomUUID(), "10.1.2.3", 2378, SwarmState.MANAGER, List.of());
    private static final NodeDescription SELF = new NodeDescription("node-1", "0.1.0");
    private static CertificateAuthority ca;

    @BeforeAll
    static void createCa() {
        ca = CertificateAuthority.create();
    }

    private static List<StoreAction> objects(InitSwarmRequest request) {
        return InitialObjects.of(FIRST, SELF, ca, "c1", InitSettings.of(request), 1_000L);
    }

    @Test
    void theClusterCarriesTheCaTheSettingsAndTwoTokensOfThisCa() {
        Cluster c = objects(InitSwarmRequest.getDefaultInstance()).get(0).getCluster();
        assertThat(c.getId()).isEqualTo("c1");
        assertThat(c.getRootCaCertPem()).isEqualTo(ca.certificatePem());
        assertThat(c.getDefaultAddrPool()).isEqualTo("10.0.0.0/8");
        assertThat(c.getSubnetSize()).isEqualTo(20);
        assertThat(c.getDataPathPort()).isEqualTo(4789);
        String digest = JoinToken.digest(ca.certificateDer());
        JoinToken worker = JoinToken.parse(c.getJoinTokens().getWorker()).orElseThrow();
        JoinToken manager = JoinToken.parse(c.getJoinTokens().getManager()).orElseThrow();
        assertThat(worker.caDigest()).isEqualTo(digest);
        assertThat(manager.caDigest()).isEqualTo(digest);
        assertThat(worker).isNotEqualTo(manager);
    }

    @Test
    void theFirstNodeIsTheReadyLeader() {
        Node n = objects(InitSwarmRequest.getDefaultInstance()).get(1).getNode();
        assertThat(n.getId()).isEqualTo("n1");
        assertThat(n.getRole()).isEqualTo(NodeRole.MANAGER);
        assertThat(n.getLeader()).isTrue();
        assertThat(n.getState()).isEqualTo(NodeState.NODE_READY);
        assertThat(n.getAvailability()).isEqualTo(NodeAvailability.ACTIVE);
        assertThat(n.getAddr()).isEqualTo("10.1.2.3");
        assertThat(n.getHostname()).isEqualTo("node-1");
        assertThat(n.getEngineVersion()).isEqualTo("0.1.0");
    }

    @Test
    void theIngressNetworkTakesThePoolsFirstSubnet() {
        Network ingress = objects(InitSwarmRequest.newBuilder().setDefaultAddrPool("192.168.0.0/16")
                .setDefaultAddrPoolMaskLength(24).build()).get(2).getNetwork();
        assertThat(ingress.getSpec().getName()).isEqualTo("ingress");
        assertThat(ingress.getSpec().getIngress()).isTrue();
        assertThat(ingress.getSpec().getSubnet()).isEqualTo("192.168.0.0/24");
        assertThat(ingress.getSpec().getGateway()).isEqualTo("192.168.0.1");
        assertThat(ingress.getVni()).isEqualTo(4096);
    }
}
