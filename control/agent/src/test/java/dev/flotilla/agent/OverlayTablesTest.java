package dev.flotilla.agent;

import static dev.flotilla.cluster.store.StoreFixtures.network;
import static dev.flotilla.cluster.store.StoreFixtures.node;
import static dev.flotilla.cluster.store.StoreFixtures.task;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.vxlan.Endpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OverlayTablesTest {

    private static final Ipv4Address A = Ipv4Address.parse("198.18.77.1");
    private static final Ipv4Address B = Ipv4Address.parse("198.18.77.2");
    private static final Ipv4Address C = Ipv4Address.parse("198.18.77.3");

    private final StoreFixtures store = new StoreFixtures();

    private static Ipv4Address ip(String text) {
        return Ipv4Address.parse(text);
    }

    @Test
    void tasksOnThisNodeAreLocalOthersRemoteAtTheirNodesAddress() {
        Network net = network("net1", "backend", 4097, "10.0.1.0/24", false);
        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "")), Actions.create(node("nb", "198.18.77.2", "")),
                Actions.create(net),
                Actions.create(task("t1", "na", TaskState.RUNNING, "net1", "10.0.1.2/24")),
                Actions.create(task("t2", "nb", TaskState.STARTING, "net1", "10.0.1.3/24")),
                Actions.create(task("t3", "nb", TaskState.ASSIGNED, "net1", "10.0.1.4/24")));

        assertThat(OverlayTables.endpoints(view, "na", net)).containsExactly(
                Endpoint.local(ip("10.0.1.2")), Endpoint.remote(ip("10.0.1.3"), B), Endpoint.remote(ip("10.0.1.4"), B));
        assertThat(OverlayTables.endpoints(view, "nb", net)).containsExactly(
                Endpoint.remote(ip("10.0.1.2"), A), Endpoint.local(ip("10.0.1.3")), Endpoint.local(ip("10.0.1.4")));
    }

    @Test
    void terminalUnassignedOtherNetworksAndAddresslessNodesAreLeftOut() {
        Network net = network("net1", "backend", 4097, "10.0.1.0/24", false);
        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "")), Actions.create(node("nb", "198.18.77.2", "")),
                Actions.create(node("nc", "", "")), Actions.create(net),
                Actions.create(network("net2", "front", 4098, "10.0.2.0/24", false)),
                Actions.create(task("live", "nb", TaskState.RUNNING, "net2", "10.0.2.9/24", "net1", "10.0.1.9/24")),
                Actions.create(task("done", "nb", TaskState.COMPLETE, "net1", "10.0.1.5/24")),
                Actions.create(task("failed", "na", TaskState.FAILED, "net1", "10.0.1.6/24")),
                Actions.create(task("pending", "", TaskState.PENDING, "net1", "10.0.1.7/24")),
                Actions.create(task("other", "nb", TaskState.RUNNING, "net2", "10.0.2.8/24")),
                Actions.create(task("lost", "nc", TaskState.RUNNING, "net1", "10.0.1.10/24")),
                Actions.create(task("gone", "nx", TaskState.RUNNING, "net1", "10.0.1.11/24")));

        assertThat(OverlayTables.endpoints(view, "na", net)).containsExactly(Endpoint.remote(ip("10.0.1.9"), B));
    }

    @Test
    void theIngressNetworkAlsoListsEveryNodesIngressAddress() {
        Network ingress = network("ing", "ingress", 4096, "10.0.0.0/24", true);
        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "10.0.0.2/24")),
                Actions.create(node("nb", "198.18.77.2", "10.0.0.3/24")),
                Actions.create(node("nc", "198.18.77.3", "")), Actions.create(ingress),
                Actions.create(task("web", "nc", TaskState.RUNNING, "ing", "10.0.0.4/24")));

        assertThat(OverlayTables.endpoints(view, "nb", ingress)).containsExactly(
                Endpoint.remote(ip("10.0.0.2"), A), Endpoint.local(ip("10.0.0.3")), Endpoint.remote(ip("10.0.0.4"), C));
    }

    @Test
    void otherNetworksAlsoListEveryNodesLbAddressOnThem() {
        Network net = network("net1", "backend", 4097, "10.0.1.0/24", false);
        Network other = network("net2", "other", 4098, "10.0.2.0/24", false);
        Node na = node("na", "198.18.77.1", "").toBuilder().addLbAddresses(NetworkAttachment.newBuilder()
                .setNetworkId("net1").setAddress("10.0.1.250/24")).addLbAddresses(NetworkAttachment.newBuilder()
                .setNetworkId("net2").setAddress("10.0.2.250/24")).build();
        Node nb = node("nb", "198.18.77.2", "").toBuilder().addLbAddresses(NetworkAttachment.newBuilder()
                .setNetworkId("net1").setAddress("10.0.1.251/24")).build();
        StoreView view = store.commit(Actions.create(na), Actions.create(nb), Actions.create(net), Actions.create(other),
                Actions.create(task("t1", "nb", TaskState.RUNNING, "net1", "10.0.1.2/24")));

        assertThat(OverlayTables.endpoints(view, "na", net)).containsExactly(
                Endpoint.remote(ip("10.0.1.2"), B), Endpoint.local(ip("10.0.1.250")), Endpoint.remote(ip("10.0.1.251"), B));
        assertThat(OverlayTables.endpoints(view, "nb", other)).containsExactly(Endpoint.remote(ip("10.0.2.250"), A));
    }

    @Test
    void aDuplicateAddressKeepsOneEntryPreferringTheLocalOne() {
        Network net = network("net1", "backend", 4097, "10.0.1.0/24", false);
        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "")), Actions.create(node("nb", "198.18.77.2", "")),
                Actions.create(net),
                Actions.create(task("t1", "nb", TaskState.RUNNING, "net1", "10.0.1.2/24")),
                Actions.create(task("t2", "na", TaskState.RUNNING, "net1", "10.0.1.2/24")));

        assertThat(OverlayTables.endpoints(view, "na", net)).containsExactly(Endpoint.local(ip("10.0.1.2")));
        assertThat(OverlayTables.endpoints(view, "nb", net)).containsExactly(Endpoint.local(ip("10.0.1.2")));
    }

    @Test
    void peersAreEveryOtherNodeWithAnAddressAndTheTableFollowsRemovals() {
        Network net = network("net1", "backend", 4097, "10.0.1.0/24", false);
        Task t2 = task("t2", "nb", TaskState.RUNNING, "net1", "10.0.1.3/24");
        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "")), Actions.create(node("nb", "198.18.77.2", "")),
                Actions.create(node("nc", "198.18.77.3", "")), Actions.create(node("nd", "not-an-ip", "")),
                Actions.create(net), Actions.create(t2));

        assertThat(OverlayTables.peers(view, "na")).containsExactly(B, C);
        assertThat(OverlayTables.peers(view, "nc")).containsExactly(A, B);
        assertThat(OverlayTables.endpoints(view, "na", net)).hasSize(1);

        StoreView after = store.commit(Actions.remove(view.task("t2").orElseThrow()));
        assertThat(OverlayTables.endpoints(after, "na", net)).isEmpty();
    }

    @Test
    void bindTargetComesFromTheNodeAndTheCluster() {
        StoreView empty = store.view();
        assertThat(OverlayTables.underlayAddress(empty, "na")).isEmpty();
        assertThat(OverlayTables.dataPathPort(empty)).isEqualTo(4789);

        StoreView view = store.commit(Actions.create(node("na", "198.18.77.1", "")),
                StoreAction.newBuilder().setCluster(Cluster.newBuilder().setId("c").setMeta(Meta.getDefaultInstance())
                        .setDataPathPort(7789)).build());
        assertThat(OverlayTables.underlayAddress(view, "na")).contains(A);
        assertThat(OverlayTables.dataPathPort(view)).isEqualTo(7789);
    }

    @Test
    void addressesParseFromBareCidrAndHostPortText() {
        List<String> texts = List.of("10.0.0.5", "10.0.0.5/20", "10.0.0.5:2377");
        List<Ipv4Address> parsed = new ArrayList<>();
        texts.forEach(t -> parsed.add(OverlayTables.parseAddress(t).orElseThrow()));
        assertThat(parsed).containsOnly(ip("10.0.0.5"));
        assertThat(OverlayTables.parseAddress("")).isEmpty();
        assertThat(OverlayTables.parseAddress("node-1.example")).isEmpty();
        assertThat(OverlayTables.parseAddress("::1")).isEmpty();
    }
}
