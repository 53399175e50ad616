package dev.flotilla.manager.controlapi;

import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.common.Ids;
import dev.flotilla.common.Names;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.manager.allocator.NetworkAllocator;

/**
 * A new overlay network, checked (name, driver, a name no other network has) and given its subnet
 * and VNI by the {@link NetworkAllocator}; its gateway is the subnet's first address.
 */
final class Networks {

    private Networks() {
    }

    static Network create(StoreView view, NetworkSpec requested, long nowMs) {
        String name = requested.getName();
        if (!Names.isValid(name)) {
            throw Errors.invalid("invalid network name \"" + name + "\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        }
        if (view.networks().values().stream().anyMatch(n -> n.getSpec().getName().equals(name))) {
            throw Errors.conflict("network with name " + name + " already exists");
        }
        String driver = requested.getDriver().isEmpty() ? "overlay" : requested.getDriver();
        if (!driver.equals("overlay")) {
            throw Errors.invalid("driver \"" + driver + "\" is not supported in a swarm: use -d overlay");
        }
        Ipv4Prefix subnet = NetworkAllocator.subnet(view, requested.getSubnet());
        return Network.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(nowMs))
                .setSpec(NetworkSpec.newBuilder()
                        .setName(name)
                        .setDriver(driver)
                        .setSubnet(subnet.toString())
                        .setGateway(subnet.address(1).toString())
                        .setAttachable(requested.getAttachable()))
                .setVni(NetworkAllocator.vni(view))
                .build();
    }
}
