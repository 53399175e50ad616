package dev.flotilla.vxlan;

import dev.flotilla.dataplane.addr.Ipv4Address;
import java.net.InetAddress;
import java.util.Collection;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The cluster's node addresses: VXLAN from anyone else is dropped (and counted as
 * {@link DropReason#NOT_A_PEER}), so a host that can reach udp/4789 cannot inject frames into an
 * overlay. Reads are lock-free and allocation-free ({@code Inet4Address} hashes and compares its
 * 32 bits); {@link #setPeers} publishes an immutable set.
 */
public final class PeerFilter {

    private volatile Set<InetAddress> peers = Set.of();

    /** Replaces the set of cluster node (underlay) addresses. */
    public void setPeers(Collection<Ipv4Address> nodes) {
        peers = nodes.stream().map(Ipv4Address::toInetAddress).collect(Collectors.toUnmodifiableSet());
    }

    /** {@code true} when {@code sender} is a cluster node. */
    public boolean accepts(InetAddress sender) {
        return sender != null && peers.contains(sender);
    }

    /** The current node addresses. */
    public Set<Ipv4Address> peers() {
        return peers.stream().map(a -> Ipv4Address.fromBytes(a.getAddress(), 0))
                .collect(Collectors.toUnmodifiableSet());
    }
}
