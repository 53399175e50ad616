package dev.flotilla.manager.controlapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.api.raft.v1.StoreTransaction;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.MemoryStore;
import dev.flotilla.cluster.store.StoreView;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

/** Networks named by id, name or id prefix resolve to their ids; unknown ones, the ingress network and stray aliases are refused. */
class NetworkResolverTest {

    private static final String INGRESS_ID = "ingressid0000000000000001";
    private static final String APP_ID = "appid00000000000000000001";
    private static final String APE_ID = "apeid00000000000000000002";

    private final StoreView view = store();

    private static StoreView store() {
        MemoryStore store = new MemoryStore();
        StoreTransaction.Builder tx = StoreTransaction.newBuilder()
                .addActions(Actions.create(network(INGRESS_ID, "ingress", "10.0.0.0/24", 4096, true)))
                .addActions(Actions.create(network(APP_ID, "app", "10.0.1.0/24", 4097, false)))
                .addActions(Actions.create(network(APE_ID, "ape", "10.0.2.0/24", 4098, false)));
        assertThat(store.apply(tx.build(), 1).getOk()).isTrue();
        return store.view();
    }

    private static Network network(String id, String name, String subnet, int vni, boolean ingress) {
        return Network.newBuilder().setId(id).setMeta(Actions.meta(0)).setVni(vni)
                .setSpec(NetworkSpec.newBuilder().setName(name).setDriver("overlay").setSubnet(subnet).setIngress(ingress))
                .build();
    }

    private static StatusRuntimeException refusal(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the resolver accepted it");
    }

    @Test
    void aNetworkIsFoundByIdNameOrUniqueIdPrefix() {
        assertThat(NetworkResolver.network(view, APP_ID).getId()).isEqualTo(APP_ID);
        assertThat(NetworkResolver.network(view, "ape").getId()).isEqualTo(APE_ID);
        assertThat(NetworkResolver.network(view, "app").getId()).isEqualTo(APP_ID);
        assertThat(NetworkResolver.network(view, "appid").getId()).isEqualTo(APP_ID);
    }

    @Test
    void anUnknownOrAmbiguousNetworkIsNotFound() {
        for (String key : new String[] {"nosuch", "ap", ""}) {
            StatusRuntimeException e = refusal(() -> NetworkResolver.network(view, key));
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(e.getStatus().getDescription()).isEqualTo("network " + key + " not found");
        }
    }

    @Test
    void aServicesNetworksAndAliasesNameNetworkIdsEachOnce() {
        ServiceSpec spec = ServiceSpec.newBuilder().setName("web")
                .addNetworks("app").addNetworks(APP_ID).addNetworks("apeid")
                .addNetworkAliases(NetworkAlias.newBuilder().setNetwork("app").setAlias("db"))
                .addNetworkAliases(NetworkAlias.newBuilder().setNetwork(APP_ID).setAlias("db"))
                .addNetworkAliases(NetworkAlias.newBuilder().setNetwork("ape").setAlias("cache"))
                .build();

        ServiceSpec attached = NetworkResolver.attach(view, spec);

        assertThat(attached.getNetworksList()).containsExactly(APP_ID, APE_ID);
        assertThat(attached.getNetworkAliasesList()).containsExactly(
                NetworkAlias.newBuilder().setNetwork(APP_ID).setAlias("db").build(),
                NetworkAlias.newBuilder().setNetwork(APE_ID).setAlias("cache").build());
        assertThat(attached.getName()).isEqualTo("web");
    }

    @Test
    void aServiceOnAnUnknownNetworkIsNotFound() {
        StatusRuntimeException e = refusal(() -> NetworkResolver.attach(view,
                ServiceSpec.newBuilder().addNetworks("app").addNetworks("nosuch").build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(e.getStatus().getDescription()).isEqualTo("network nosuch not found");
    }

    @Test
    void theIngressNetworkCannotBeNamed() {
        StatusRuntimeException e = refusal(() -> NetworkResolver.attach(view,
                ServiceSpec.newBuilder().addNetworks("ingress").build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription())
                .isEqualTo("service cannot be explicitly attached to the ingress network \"ingress\"");
    }

    @Test
    void anAliasOnANetworkTheServiceIsNotOnIsRefused() {
        for (String network : new String[] {"ape", "nosuch"}) {
            StatusRuntimeException e = refusal(() -> NetworkResolver.attach(view, ServiceSpec.newBuilder()
                    .addNetworks("app")
                    .addNetworkAliases(NetworkAlias.newBuilder().setNetwork(network).setAlias("db"))
                    .build()));

            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription())
                    .isEqualTo("alias db names network " + network + ", which the service is not attached to");
        }
    }
}
