package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkAlias;
import dev.flotilla.api.v1.ServiceSpec;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreView;

/**
 * Networks as users name them (id, name or unique id prefix, as Docker finds them), resolved
 * against the store to their ids; an unknown network is refused.
 */
final class NetworkResolver {

    private NetworkResolver() {
    }

    /** The network {@code key} names; NOT_FOUND when there is none. */
    static Network network(StoreView view, String key) {
        return view.findNetwork(key).orElseThrow(() -> Errors.notFound("network " + key + " not found"));
    }

    /**
     * {@code spec} with its networks and aliases naming network ids, each once. Refuses an unknown
     * network, the ingress network (services reach it by publishing ports), and an alias on a network
     * the service is not attached to.
     */
    static ServiceSpec attach(StoreView view, ServiceSpec spec) {
        ServiceSpec.Builder b = spec.toBuilder().clearNetworks().clearNetworkAliases();
        for (String key : spec.getNetworksList()) {
            Network n = network(view, key);
            if (n.getSpec().getIngress()) {
                throw Errors.invalid("service cannot be explicitly attached to the ingress network \"" + key + "\"");
            }
            if (!b.getNetworksList().contains(n.getId())) {
                b.addNetworks(n.getId());
            }
        }
        for (NetworkAlias a : spec.getNetworkAliasesList()) {
            String id = view.findNetwork(a.getNetwork()).map(Network::getId).orElse("");
            if (!b.getNetworksList().contains(id)) {
                throw Errors.invalid("alias " + a.getAlias() + " names network " + a.getNetwork()
                        + ", which the service is not attached to");
            }
            NetworkAlias resolved = a.toBuilder().setNetwork(id).build();
            if (!b.getNetworkAliasesList().contains(resolved)) {
                b.addNetworkAliases(resolved);
            }
        }
        return b.build();
    }
}
