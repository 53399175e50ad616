package dev.flotilla.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.cluster.store.Actions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The state machine decides uniqueness: a write that clashes with what an earlier entry wrote is
 * refused when applied, with the API's sentence, whatever view its sender checked against.
 */
class StoreConstraintsTest {

    private final MemoryStore store = new MemoryStore();

    private StoreResult apply(long index, StoreAction... actions) {
        return store.apply(StoreTransaction.newBuilder().addAllActions(List.of(actions)).build(), index);
    }

    private static Network network(String id, String name, int vni, String subnet) {
        return StoreFixtures.network(id, name, vni, subnet, false);
    }

    @Test
    void networksKeepUniqueNamesVnisAndSubnets() {
        assertThat(apply(1, Actions.create(network("n1", "front", 4097, "10.0.16.0/20"))).getOk()).isTrue();

        StoreResult name = apply(2, Actions.create(network("n2", "front", 4098, "10.0.32.0/20")));
        assertThat(name.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_NAME);
        assertThat(name.getError()).isEqualTo("network with name front already exists");

        StoreResult vni = apply(3, Actions.create(network("n2", "back", 4097, "10.0.32.0/20")));
        assertThat(vni.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_VNI);
        assertThat(vni.getError()).isEqualTo("VXLAN id 4097 is already used by network front");

        StoreResult subnet = apply(4, Actions.create(network("n2", "back", 4098, "10.0.20.0/24")));
        assertThat(subnet.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_SUBNET);
        assertThat(subnet.getError()).isEqualTo("subnet 10.0.20.0/24 overlaps with network subnet 10.0.16.0/20");

        assertThat(store.view().networks()).containsOnlyKeys("n1");
        assertThat(apply(5, Actions.create(network("n2", "back", 4098, "10.0.32.0/20"))).getOk()).isTrue();
    }

    @Test
    void aNetworkUpdatedInPlaceDoesNotClashWithItself() {
        apply(1, Actions.create(network("n1", "front", 4097, "10.0.16.0/20")));
        Network stored = store.view().network("n1").orElseThrow();
        Network attachable = stored.toBuilder().setSpec(stored.getSpec().toBuilder().setAttachable(true)).build();
        assertThat(apply(2, StoreAction.newBuilder().setKind(ActionKind.ACTION_UPDATE).setNetwork(attachable).build())
                .getOk()).isTrue();
    }

    @Test
    void onePublishedPortPerProtocolAndTheLoserLeavesNothing() {
        assertThat(apply(1, Actions.create(StoreFixtures.service("s1", "web", 8080))).getOk()).isTrue();
        StoreResult clash = apply(2, Actions.create(StoreFixtures.service("s2", "api", 9090, 8080)));
        assertThat(clash.getOk()).isFalse();
        assertThat(clash.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_PORT);
        assertThat(clash.getError()).isEqualTo("port '8080' is already in use by service 'web' (s1) as an ingress port");
        assertThat(store.view().services()).containsOnlyKeys("s1");
        assertThat(store.view().index()).isEqualTo(1);

        Service udp = StoreFixtures.service("s2", "api").toBuilder()
                .addEndpointPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.UDP).setPublishedPort(8080).setTargetPort(53)).build();
        assertThat(apply(3, Actions.create(udp)).getOk()).as("the same number over UDP").isTrue();
    }

    @Test
    void aServiceScaledKeepsItsOwnPorts() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web", 8080)));
        Service stored = store.view().service("s1").orElseThrow();
        Service scaled = stored.toBuilder().setSpec(stored.getSpec().toBuilder().setReplicas(4)).build();
        assertThat(apply(2, Actions.update(scaled)).getOk()).isTrue();
    }

    @Test
    void refusedTransactionsStillCountAsApplied() {
        apply(1, Actions.create(StoreFixtures.service("s1", "web", 8080)));
        apply(2, Actions.create(StoreFixtures.service("s2", "web")));
        assertThat(store.awaitIndex(2, 0)).isTrue();
        assertThat(store.awaitIndex(3, 10)).isFalse();
    }
}
