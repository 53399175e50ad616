package dev.flotilla.manager.allocator;

import static dev.flotilla.api.v1.PortConfig.Protocol.TCP;
import static dev.flotilla.api.v1.PortConfig.Protocol.UDP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.PortConfig;
import dev.flotilla.api.v1.Service;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.raft.v1.StoreConflict;
import dev.flotilla.api.raft.v1.StoreResult;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.MemoryStore;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Published ports: no port twice per protocol, the dynamic range, ports freed by removal, races lost in the store. */
class PortAllocatorTest {

    private final MemoryStore store = new MemoryStore();
    private final Set<String> boundHere = new HashSet<>();
    private final PortAllocator ports = new PortAllocator((port, protocol) -> boundHere.contains(port + "/" + protocol.name().toLowerCase(Locale.ROOT))
            ? Optional.of("port " + port + "/" + protocol.name().toLowerCase(Locale.ROOT) + " is already in use on this node") : Optional.empty());
    private long index = 1;

    private StoreResult commit(StoreAction action) {
        return store.apply(StoreTransaction.newBuilder().addActions(action).build(), index++);
    }

    private static ServiceSpec spec(String name, PortConfig... published) {
        return ServiceSpec.newBuilder().setName(name).addAllPorts(List.of(published)).build();
    }

    private static PortConfig port(int published, PortConfig.Protocol protocol) {
        return PortConfig.newBuilder().setTargetPort(80).setPublishedPort(published).setProtocol(protocol).build();
    }

    /** Allocates {@code spec}'s ports on the current store and commits the service. */
    private Service create(String id, ServiceSpec spec) {
        Service s = Service.newBuilder().setId(id).setMeta(Actions.meta(0)).setSpec(spec)
                .addAllEndpointPorts(ports.allocate(store.view(), spec)).build();
        assertThat(commit(Actions.create(s)).getOk()).isTrue();
        return store.view().service(id).orElseThrow();
    }

    private static List<Integer> published(Service s) {
        return s.getEndpointPortsList().stream().map(PortConfig::getPublishedPort).toList();
    }

    private static StatusRuntimeException refusal(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the allocator accepted it");
    }

    @Test
    void givenPortsAreKeptAndPublishedInIngressMode() {
        Service web = create("web", spec("web", port(8080, TCP), port(8080, UDP)));

        assertThat(published(web)).containsExactly(8080, 8080);
        assertThat(web.getEndpointPortsList()).extracting(PortConfig::getPublishMode).containsOnly(PortConfig.PublishMode.INGRESS);
    }

    @Test
    void aPortAnotherServiceHoldsIsRefusedWithItsHolder() {
        Service web = create("web", spec("web", port(8080, TCP)));

        StatusRuntimeException e = refusal(() -> ports.allocate(store.view(), spec("api", port(8080, TCP))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("port '8080' is already in use by service 'web' ("
                + web.getId() + ") as an ingress port");
    }

    @Test
    void theSamePortOverTheOtherProtocolIsFree() {
        create("dns-tcp", spec("dns-tcp", port(53, TCP)));

        assertThat(published(create("dns-udp", spec("dns-udp", port(53, UDP))))).containsExactly(53);
    }

    @Test
    void aPortThisNodeCannotBindIsRefusedWithTheProbesReason() {
        boundHere.add("9090/tcp");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ports.allocate(store.view(), spec("web", port(9090, TCP))))
                .isInstanceOf(PortAllocator.BusyOnThisNode.class).hasMessage("port 9090/tcp is already in use on this node");
        assertThat(store.view().services()).isEmpty();
    }

    @Test
    void portZeroGetsTheLowestFreePortOfTheDynamicRange() {
        Service first = create("a", spec("a", port(0, TCP), port(0, TCP)));
        boundHere.add("30002/tcp");
        Service second = create("b", spec("b", port(0, TCP), port(0, UDP)));

        assertThat(published(first)).containsExactly(PortAllocator.DYNAMIC_MIN, 30001);
        assertThat(published(second)).containsExactly(30003, 30000);
    }

    @Test
    void aFullDynamicRangeIsUnavailable() {
        for (int p = PortAllocator.DYNAMIC_MIN; p <= PortAllocator.DYNAMIC_MAX; p++) {
            boundHere.add(p + "/tcp");
        }
        create("below", spec("below", port(29999, TCP)));

        StatusRuntimeException e = refusal(() -> ports.allocate(store.view(), spec("web", port(0, TCP))));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).isEqualTo("no free port left in 30000-32767");
        assertThat(published(create("udp", spec("udp", port(0, UDP))))).containsExactly(30000);
    }

    @Test
    void aRemovedServicesPortsAreFreeAgain() {
        Service web = create("web", spec("web", port(8080, TCP), port(0, TCP)));
        assertThat(commit(Actions.remove(web)).getOk()).isTrue();

        Service next = create("api", spec("api", port(8080, TCP), port(0, TCP)));

        assertThat(published(next)).containsExactly(8080, PortAllocator.DYNAMIC_MIN);
    }

    @Test
    void ofTwoConcurrentCreatesThatChoseOnePortTheStoreRefusesTheSecond() {
        ServiceSpec a = spec("a", port(0, TCP));
        ServiceSpec b = spec("b", port(0, TCP));
        // Both read the same view, as two managers' API calls at once do.
        Service first = Service.newBuilder().setId("a").setMeta(Actions.meta(0)).setSpec(a)
                .addAllEndpointPorts(ports.allocate(store.view(), a)).build();
        Service second = Service.newBuilder().setId("b").setMeta(Actions.meta(0)).setSpec(b)
                .addAllEndpointPorts(ports.allocate(store.view(), b)).build();
        assertThat(published(first)).isEqualTo(published(second));

        assertThat(commit(Actions.create(first)).getOk()).isTrue();
        StoreResult lost = commit(Actions.create(second));

        assertThat(lost.getOk()).isFalse();
        assertThat(lost.getConflict()).isEqualTo(StoreConflict.STORE_CONFLICT_PORT);
        // Allocating again on the store that holds the winner chooses the next port.
        assertThat(published(create("b", b))).containsExactly(30001);
    }
}
