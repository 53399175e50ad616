package dev.flotilla.manager.controlapi;

import dev.flotilla.cluster.rpc.Errors;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Network;
import dev.flotilla.api.v1.NetworkSpec;
import dev.flotilla.cluster.store.Actions;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.common.Ids;
import dev.flotilla.common.Names;
import dev.flotilla.common.Vnis;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import java.util.List;

/**
 * A new overlay network: its subnet (given, or the first free one of the swarm's default pool, a
 * /20 by default), its gateway (the subnet's first address) and its VNI (the lowest free from {@link Vnis#FIRST}).
 */
final class Networks {

    static final int MAX_VNI = (1 << 24) - 1;

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
        List<Ipv4Prefix> taken = view.networks().values().stream()
                .map(n -> Ipv4Prefix.parse(n.getSpec().getSubnet())).toList();
        Ipv4Prefix subnet = requested.getSubnet().isEmpty() ? fromPool(view, taken) : given(requested.getSubnet(), taken);
        return Network.newBuilder()
                .setId(Ids.newId())
                .setMeta(Actions.meta(nowMs))
                .setSpec(NetworkSpec.newBuilder()
                        .setName(name)
                        .setDriver(driver)
                        .setSubnet(subnet.toString())
                        .setGateway(subnet.address(1).toString())
                        .setAttachable(requested.getAttachable()))
                .setVni(nextVni(view))
                .build();
    }

    private static Ipv4Prefix given(String text, List<Ipv4Prefix> taken) {
        Ipv4Prefix subnet;
        try {
            subnet = Ipv4Prefix.parse(text);
        } catch (IllegalArgumentException e) {
            throw Errors.invalid("invalid subnet " + text + ": " + e.getMessage());
        }
        if (subnet.prefixLength() > 29) {
            throw Errors.invalid("subnet " + text + " is too small: at most /29");
        }
        for (Ipv4Prefix t : taken) {
            if (t.overlaps(subnet)) {
                throw Errors.conflict("subnet " + text + " overlaps with network subnet " + t);
            }
        }
        return subnet;
    }

    private static Ipv4Prefix fromPool(StoreView view, List<Ipv4Prefix> taken) {
        Cluster cluster = view.cluster().orElseThrow(() -> Errors.internal("the swarm has no cluster object"));
        Ipv4Prefix pool = Ipv4Prefix.parse(cluster.getDefaultAddrPool());
        int size = (int) cluster.getSubnetSize();
        long count = 1L << (size - pool.prefixLength());
        long step = 1L << (32 - size);
        for (long i = 0; i < count; i++) {
            Ipv4Prefix candidate = new Ipv4Prefix(pool.address(i * step), size);
            if (taken.stream().noneMatch(t -> t.overlaps(candidate))) {
                return candidate;
            }
        }
        throw Errors.unavailable("the default address pool " + pool + " has no free /" + size + " left");
    }

    private static int nextVni(StoreView view) {
        java.util.Set<Integer> used = new java.util.HashSet<>();
        view.networks().values().forEach(n -> used.add(n.getVni()));
        for (int vni = Vnis.FIRST; vni <= MAX_VNI; vni++) {
            if (!used.contains(vni)) {
                return vni;
            }
        }
        throw Errors.unavailable("no VXLAN id left");
    }
}
