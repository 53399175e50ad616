package dev.flotilla.agent;

import static dev.flotilla.api.v1.ServiceSpec.EndpointMode.DNSRR;
import static dev.flotilla.api.v1.ServiceSpec.EndpointMode.VIP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Meta;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.NetworkAttachment;
import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.v1.Task;
import dev.flotilla.api.v1.TaskState;
import dev.flotilla.api.v1.TaskStatus;
import dev.flotilla.api.v1.VirtualIp;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dns.NameRecords;
import dev.flotilla.dns.RecordTable;
import dev.flotilla.dns.SandboxScope;
import dev.flotilla.dns.SrvTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscoveryRecordsTest {

    private static final Network INGRESS = StoreFixtures.network("ing", "ingress", 4096, "10.0.0.0/24", true);
    private static final Network FRONT = StoreFixtures.network("front", "front", 4097, "10.0.1.0/24", false);
    private static final Network BACK = StoreFixtures.network("back", "back", 4098, "10.0.2.0/24", false);

    private final Map<String, Service> services = new LinkedHashMap<>();
    private final Map<String, Task> tasks = new LinkedHashMap<>();

    private StoreView view() {
        Map<String, Network> networks = Map.of(INGRESS.getId(), INGRESS, FRONT.getId(), FRONT, BACK.getId(), BACK);
        return new StoreView(1, Map.of(), Map.of(), Map.copyOf(services), Map.copyOf(tasks), networks);
    }

    private Service service(String id, String name, ServiceSpec.EndpointMode mode, String... networkAndVip) {
        ServiceSpec.Builder spec = ServiceSpec.newBuilder().setName(name).setEndpointMode(mode);
        Service.Builder s = Service.newBuilder().setId(id).setMeta(Meta.getDefaultInstance());
        for (int i = 0; i < networkAndVip.length; i += 2) {
            if (!networkAndVip[i].equals(INGRESS.getId())) {
                spec.addNetworks(networkAndVip[i]);
            }
            if (networkAndVip[i + 1] != null) {
                s.addVirtualIps(VirtualIp.newBuilder().setNetworkId(networkAndVip[i]).setAddr(networkAndVip[i + 1]));
            }
        }
        Service built = s.setSpec(spec).build();
        services.put(id, built);
        return built;
    }

    private Task task(String id, Service s, long slot, TaskState desired, TaskState state, String... networkAndAddress) {
        Task.Builder t = Task.newBuilder().setId(id).setMeta(Meta.getDefaultInstance()).setServiceId(s.getId())
                .setServiceName(s.getSpec().getName()).setSlot(slot).setNodeId("n1").setDesiredState(desired)
                .setStatus(TaskStatus.newBuilder().setState(state));
        for (int i = 0; i < networkAndAddress.length; i += 2) {
            t.addNetworks(NetworkAttachment.newBuilder().setNetworkId(networkAndAddress[i])
                    .setAddress(networkAndAddress[i + 1]));
        }
        Task built = t.build();
        tasks.put(id, built);
        return built;
    }

    private static Ipv4Address ip(String text) {
        return Ipv4Address.parse(text);
    }

    private static List<Ipv4Address> ips(String... texts) {
        return java.util.Arrays.stream(texts).map(Ipv4Address::parse).toList();
    }

    @Test
    void vipServiceAnswersItsVipAndTasksAnswersRunningTasksOnly() {
        Service server = service("s1", "server", VIP, "front", "10.0.1.2/24");
        task("t2", server, 2, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.4/24");
        task("t1", server, 1, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.3/24");
        task("t3", server, 3, TaskState.RUNNING, TaskState.STARTING, "front", "10.0.1.5/24");
        task("t4", server, 4, TaskState.SHUTDOWN, TaskState.RUNNING, "front", "10.0.1.6/24");

        RecordTable table = DiscoveryRecords.table(view());
        SandboxScope front = SandboxScope.of("front");

        assertThat(table.lookup(front, "server").addresses()).containsExactly(ip("10.0.1.2"));
        assertThat(table.lookup(front, "tasks.server").addresses()).containsExactly(ip("10.0.1.3"), ip("10.0.1.4"));
        assertThat(table.lookup(front, "server.1.t1").addresses()).containsExactly(ip("10.0.1.3"));
        assertThat(table.lookup(front, "server.3.t3")).isNull();
        assertThat(table.lookup(front, "server.4.t4")).isNull();
        assertThat(table.lookup(front, "3.1.0.10.in-addr.arpa").pointers()).containsExactly("server.1.t1");
        assertThat(table.lookup(front, "2.1.0.10.in-addr.arpa").pointers()).containsExactly("server");
    }

    @Test
    void networkAliasesAnswerLikeTheServiceOnTheirNetworkOnly() {
        Service server = service("s1", "server", VIP, "front", "10.0.1.2/24", "back", "10.0.2.2/24");
        services.put("s1", server.toBuilder().setSpec(server.getSpec().toBuilder()
                .addNetworkAliases(NetworkAlias.newBuilder().setNetwork("front").setAlias("Web"))).build());
        task("t1", server, 1, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.3/24", "back", "10.0.2.3/24");
        Service db = service("s2", "db", DNSRR, "back", null);
        services.put("s2", db.toBuilder().setSpec(db.getSpec().toBuilder()
                .addNetworkAliases(NetworkAlias.newBuilder().setNetwork("back").setAlias("store"))).build());
        task("t2", db, 1, TaskState.RUNNING, TaskState.RUNNING, "back", "10.0.2.8/24");

        RecordTable table = DiscoveryRecords.table(view());
        SandboxScope front = SandboxScope.of("front");
        SandboxScope back = SandboxScope.of("back");

        assertThat(table.lookup(front, "web").addresses()).containsExactly(ip("10.0.1.2"));
        assertThat(table.lookup(front, "tasks.web").addresses()).containsExactly(ip("10.0.1.3"));
        assertThat(table.lookup(back, "web")).isNull();
        assertThat(table.lookup(back, "store").addresses()).containsExactly(ip("10.0.2.8"));
        assertThat(table.lookup(back, "tasks.store").addresses()).containsExactly(ip("10.0.2.8"));
        // The VIP's PTR still names the service.
        assertThat(table.lookup(front, "2.1.0.10.in-addr.arpa").pointers()).containsExactly("server");
    }

    @Test
    void dnsrrServiceAnswersTaskAddresses() {
        Service db = service("s1", "db", DNSRR, "back", null);
        task("t1", db, 1, TaskState.RUNNING, TaskState.RUNNING, "back", "10.0.2.7/24");
        task("t2", db, 2, TaskState.RUNNING, TaskState.RUNNING, "back", "10.0.2.8/24");

        NameRecords records = DiscoveryRecords.table(view()).lookup(SandboxScope.of("back"), "db");

        assertThat(records.addresses()).containsExactly(ip("10.0.2.7"), ip("10.0.2.8"));
    }

    @Test
    void namesAreScopedToTheirNetworksAndIngressHasNone() {
        Service web = service("s1", "web", VIP, "ing", "10.0.0.9/24", "front", "10.0.1.9/24");
        Service db = service("s2", "db", VIP, "back", "10.0.2.9/24");
        task("t1", web, 1, TaskState.RUNNING, TaskState.RUNNING, "ing", "10.0.0.3/24", "front", "10.0.1.3/24");
        task("t2", db, 1, TaskState.RUNNING, TaskState.RUNNING, "back", "10.0.2.3/24");

        RecordTable table = DiscoveryRecords.table(view());

        assertThat(table.networks()).containsExactlyInAnyOrder("front", "back");
        assertThat(table.lookup(SandboxScope.of("front"), "db")).isNull();
        assertThat(table.lookup(SandboxScope.of("back"), "web")).isNull();
        assertThat(table.lookup(SandboxScope.of("front"), "web").addresses()).containsExactly(ip("10.0.1.9"));
        assertThat(DiscoveryRecords.scope(view(), tasks.get("t1"))).containsExactly("front");
        assertThat(DiscoveryRecords.scope(view(), tasks.get("t2"))).containsExactly("back");
    }

    @Test
    void publishedPortsGetSrvRecords() {
        Service web = service("s1", "web", VIP, "front", "10.0.1.9/24");
        services.put("s1", web.toBuilder().addEndpointPorts(PortConfig.newBuilder().setProtocol(PortConfig.Protocol.TCP)
                .setTargetPort(80).setPublishedPort(8080)).build());

        NameRecords srv = DiscoveryRecords.table(view()).lookup(SandboxScope.of("front"), "_8080._tcp.web");

        assertThat(srv.services()).containsExactly(new SrvTarget("web", 8080));
    }

    @Test
    void serviceWithoutItsVipYetStillNamesItsTasks() {
        Service web = service("s1", "web", VIP, "front", null);
        task("t1", web, 1, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.3/24");

        RecordTable table = DiscoveryRecords.table(view());

        assertThat(table.lookup(SandboxScope.of("front"), "web")).isNull();
        assertThat(table.lookup(SandboxScope.of("front"), "tasks.web").addresses()).containsExactly(ip("10.0.1.3"));
    }

    @Test
    void vipBackendsAreTheRunningTasksOnThatNetwork() {
        Service web = service("s1", "web", VIP, "front", "10.0.1.9/24", "back", "10.0.2.9/24");
        Service db = service("s2", "db", DNSRR, "front", null);
        task("t1", web, 1, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.3/24", "back", "10.0.2.3/24");
        task("t2", web, 2, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.4/24", "back", "10.0.2.4/24");
        task("t3", web, 3, TaskState.SHUTDOWN, TaskState.RUNNING, "front", "10.0.1.5/24", "back", "10.0.2.5/24");
        task("t4", db, 1, TaskState.RUNNING, TaskState.RUNNING, "front", "10.0.1.6/24");
        Service idle = service("s3", "idle", VIP, "front", "10.0.1.10/24");

        assertThat(DiscoveryRecords.vipBackends(view(), "front")).containsExactly(
                Map.entry(ip("10.0.1.9"), ips("10.0.1.3", "10.0.1.4")), Map.entry(ip("10.0.1.10"), List.of()));
        assertThat(DiscoveryRecords.vipBackends(view(), "back")).containsExactly(
                Map.entry(ip("10.0.2.9"), ips("10.0.2.3", "10.0.2.4")));
        assertThat(idle.getVirtualIpsCount()).isEqualTo(1);
    }
}
