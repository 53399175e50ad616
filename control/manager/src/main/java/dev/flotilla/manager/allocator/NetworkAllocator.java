package dev.flotilla.manager.allocator;

import dev.flotilla.api.v1.Cluster;
import dev.flotilla.api.v1.Network;
import dev.flotilla.cluster.rpc.Errors;
import dev.flotilla.cluster.store.StoreView;
import dev.flotilla.common.Vnis;
import dev.flotilla.dataplane.addr.Ipv4Prefix;
import dev.flotilla.vxlan.VxlanHeader;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A new overlay network's subnet and VNI. The subnet is the one asked for, refused when it overlaps
 * another network's, or else the first free one of the swarm's default pool (a /20 by default); the
 * VNI is the lowest one no network has, from {@link Vnis#FIRST}. What is taken is read from the
 * networks in the view, as {@link PortAllocator} reads ports: a removed network frees both.
 */
public final class NetworkAllocator {

    /** The smallest subnet: a gateway, a load-balancer address per node and a few tasks. */
    static final int MAX_PREFIX_LENGTH = 29;

    private NetworkAllocator() {
    }

    /** The subnet for a new network: {@code requested} (CIDR text) if it is free, else one from the pool when it is empty. */
    public static Ipv4Prefix subnet(StoreView view, String requested) {
        List<Ipv4Prefix> taken = view.networks().values().stream()
                .map(n -> Ipv4Prefix.parse(n.getSpec().getSubnet())).toList();
        return requested.isEmpty() ? fromPool(view, taken) : given(requested, taken);
    }

    /** The lowest VNI no network in {@code view} has. */
    public static int vni(StoreView view) {
        Set<Integer> used = new HashSet<>();
        for (Network n : view.networks().values()) {
            used.add(n.getVni());
        }
        for (int vni = Vnis.FIRST; vni <= VxlanHeader.MAX_VNI; vni++) {
            if (!used.contains(vni)) {
                return vni;
            }
        }
        throw Errors.unavailable("no VXLAN id left");
    }

    private static Ipv4Prefix given(String text, List<Ipv4Prefix> taken) {
        Ipv4Prefix subnet;
        try {
            subnet = Ipv4Prefix.parse(text);
        } catch (IllegalArgumentException e) {
            throw Errors.invalid("invalid subnet " + text + ": " + e.getMessage());
        }
        if (subnet.prefixLength() > MAX_PREFIX_LENGTH) {
            throw Errors.invalid("subnet " + text + " is too small: at most /" + MAX_PREFIX_LENGTH);
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
}
