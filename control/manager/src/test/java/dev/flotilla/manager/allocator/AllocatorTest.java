package dev.flotilla.manager.allocator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.Node;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.VirtualIp;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.manager.orchestrator.Orchestrator;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.cluster.store.StoreView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Addresses: task attachments, one VIP per service per network, one LB address per node per network, no address twice. */
class AllocatorTest {

    private final StoreFixtures store = new StoreFixtures();

    private static Network network(String id, String name, String subnet, boolean ingress) {
        return Network.newBuilder().setId(id).setSpec(NetworkSpec.newBuilder().setName(name).setDriver("overlay")
                .setSubnet(subnet).setGateway(subnet.replace("0/24", "1")).setIngress(ingress)).build();
    }

    private static Service service(String id, ServiceSpec.EndpointMode mode, boolean publish) {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder().setName(id).setEndpointMode(mode).addNetworks("app");
        Service.Builder s = Service.newBuilder().setId(id).setSpec(spec);
        if (publish) {
            s.addEndpointPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP).setTargetPort(80).setPublishedPort(8080));
        }
        return s.build();
    }

    private void allocateUntilStable() {
        for (int i = 0; i < 5; i++) {
            List<StoreAction> actions = new Allocator().allocate(store.view(), 1000);
            if (actions.isEmpty()) {
                return;
            }
            store.commit(actions);
        }
        throw new AssertionError("the allocator did not settle");
    }

    @Test
    void givesVipsLbAddressesAndTaskAddressesEachOnce() {
        store.commit(List.of(Actions.create(network("ing", "ingress", "10.0.0.0/24", true)),
                Actions.create(network("app", "app", "10.0.1.0/24", false)),
                Actions.create(Node.newBuilder().setId("n1").build()),
                Actions.create(Node.newBuilder().setId("n2").build()),
                Actions.create(service("web", ServiceSpec.EndpointMode.VIP, true)),
                Actions.create(service("rr", ServiceSpec.EndpointMode.DNSRR, false))));
        Service web = store.view().service("web").orElseThrow();
        store.commit(List.of(Actions.create(Orchestrator.newTask(web, 1, 0, 1000)),
                Actions.create(Orchestrator.newTask(web, 2, 0, 1000)),
                Actions.create(Orchestrator.newTask(store.view().service("rr").orElseThrow(), 1, 0, 1000))));
        allocateUntilStable();

        StoreView v = store.view();
        List<String> all = new ArrayList<>();
        for (Node n : v.nodes().values()) {
            assertThat(n.getIngressAddress()).startsWith("10.0.0.");
            assertThat(n.getLbAddressesList()).singleElement().satisfies(a -> {
                assertThat(a.getNetworkId()).isEqualTo("app");
                assertThat(a.getAddress()).startsWith("10.0.1.");
            });
            all.add(n.getIngressAddress());
            all.add(n.getLbAddresses(0).getAddress());
        }
        assertThat(v.service("web").orElseThrow().getVirtualIpsList()).extracting(VirtualIp::getNetworkId)
                .containsExactly("ing", "app");
        v.service("web").orElseThrow().getVirtualIpsList().forEach(vip -> all.add(vip.getAddr()));
        assertThat(v.service("rr").orElseThrow().getVirtualIpsList()).as("dnsrr has no VIP").isEmpty();
        for (Task t : v.tasks().values()) {
            assertThat(t.getStatus().getState()).isEqualTo(TaskState.PENDING);
            t.getNetworksList().stream().map(NetworkAttachment::getAddress).forEach(all::add);
        }
        Set<String> distinct = new HashSet<>(all);
        assertThat(distinct).as("every address once: %s", all).hasSameSizeAs(all);
        assertThat(all).doesNotContain("10.0.0.1/24", "10.0.1.1/24");
    }

    @Test
    void aVipSurvivesLaterPassesAndLbAddressesOfRemovedNetworksGo() {
        store.commit(List.of(Actions.create(network("ing", "ingress", "10.0.0.0/24", true)),
                Actions.create(network("app", "app", "10.0.1.0/24", false)),
                Actions.create(Node.newBuilder().setId("n1").build()),
                Actions.create(service("web", ServiceSpec.EndpointMode.VIP, false))));
        allocateUntilStable();
        String vip = store.view().service("web").orElseThrow().getVirtualIps(0).getAddr();
        store.commit(List.of(Actions.create(Node.newBuilder().setId("n2").build())));
        allocateUntilStable();
        assertThat(store.view().service("web").orElseThrow().getVirtualIps(0).getAddr()).isEqualTo(vip);

        store.commit(List.of(Actions.remove(store.view().service("web").orElseThrow()),
                Actions.remove(store.view().network("app").orElseThrow())));
        allocateUntilStable();
        assertThat(store.view().nodes().values()).allSatisfy(n -> assertThat(n.getLbAddressesList()).isEmpty());
    }
}
