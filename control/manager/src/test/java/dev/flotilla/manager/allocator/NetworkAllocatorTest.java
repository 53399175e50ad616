package dev.flotilla.manager.allocator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.flotilla.api.raft.v1.ActionKind;
import dev.flotilla.api.raft.v1.StoreAction;
import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Network;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreFixtures;
import dev.flotilla.common.Vnis;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Subnets and VNIs of new networks, read from the networks in a real store's view. */
class NetworkAllocatorTest {

    private final StoreFixtures store = new StoreFixtures();

    @BeforeEach
    void swarm() {
        store.commit(StoreAction.newBuilder().setKind(ActionKind.ACTION_CREATE).setCluster(Cluster.newBuilder()
                .setId("cluster1").setDefaultAddrPool("10.0.0.0/18").setSubnetSize(20)).build());
    }

    private Network add(String id, int vni, String subnet) {
        Network n = StoreFixtures.network(id, id, vni, subnet, false);
        store.commit(Actions.create(n));
        return n;
    }

    private static StatusRuntimeException refusal(Runnable r) {
        StatusRuntimeException e = catchThrowableOfType(r::run, StatusRuntimeException.class);
        assertThat(e).as("the allocator accepted it").isNotNull();
        return e;
    }

    @Test
    void anEmptyRequestGetsTheFirstPoolSubnetNoNetworkOverlaps() {
        assertThat(NetworkAllocator.subnet(store.view(), "")).hasToString("10.0.0.0/20");

        add("a", Vnis.FIRST, "10.0.0.0/20");
        add("b", Vnis.FIRST + 1, "10.0.20.0/24");

        // 10.0.16.0/20 holds b's /24: the next free /20 is the third.
        assertThat(NetworkAllocator.subnet(store.view(), "")).hasToString("10.0.32.0/20");
    }

    @Test
    void aFullPoolIsRefusedWithItsSize() {
        for (int i = 0; i < 4; i++) {
            add("n" + i, Vnis.FIRST + i, "10.0." + (16 * i) + ".0/20");
        }

        StatusRuntimeException e = refusal(() -> NetworkAllocator.subnet(store.view(), ""));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(e.getStatus().getDescription()).isEqualTo("the default address pool 10.0.0.0/18 has no free /20 left");
    }

    @Test
    void aGivenSubnetIsKeptUnlessItOverlapsOrIsTooSmallOrMalformed() {
        add("a", Vnis.FIRST, "192.168.0.0/24");

        assertThat(NetworkAllocator.subnet(store.view(), "192.168.1.0/24")).hasToString("192.168.1.0/24");
        StatusRuntimeException overlap = refusal(() -> NetworkAllocator.subnet(store.view(), "192.168.0.128/25"));
        assertThat(overlap.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(overlap.getStatus().getDescription())
                .isEqualTo("subnet 192.168.0.128/25 overlaps with network subnet 192.168.0.0/24");
        StatusRuntimeException small = refusal(() -> NetworkAllocator.subnet(store.view(), "192.168.2.0/30"));
        assertThat(small.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(small.getStatus().getDescription()).isEqualTo("subnet 192.168.2.0/30 is too small: at most /29");
        StatusRuntimeException bad = refusal(() -> NetworkAllocator.subnet(store.view(), "192.168.300.0/24"));
        assertThat(bad.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(bad.getStatus().getDescription()).startsWith("invalid subnet 192.168.300.0/24: ");
    }

    @Test
    void theLowestFreeVniIsGivenAndARemovedNetworksVniIsFreeAgain() {
        assertThat(NetworkAllocator.vni(store.view())).isEqualTo(Vnis.FIRST);
        Network a = add("a", Vnis.FIRST, "10.0.0.0/20");
        add("b", Vnis.FIRST + 1, "10.0.16.0/20");
        assertThat(NetworkAllocator.vni(store.view())).isEqualTo(Vnis.FIRST + 2);

        store.commit(Actions.remove(a));

        assertThat(NetworkAllocator.vni(store.view())).isEqualTo(Vnis.FIRST);
        assertThat(NetworkAllocator.subnet(store.view(), "")).hasToString("10.0.0.0/20");
    }
}
