package dev.flotilla.vxlan;

import dev.flotilla.dataplane.addr.Ipv4Address;
import dev.flotilla.dataplane.addr.MacAddress;
import java.util.Objects;

/**
 * One address on an overlay network, as the control plane's endpoint table lists it: a task, or
 * a node's load-balancer address.
 *
 * @param ip the endpoint's address on the overlay
 * @param mac its MAC; Flotilla derives it from {@code ip} ({@link MacAddress#fromIpv4})
 * @param vtep the underlay address of the node that hosts it; may be {@code null} when {@code local}
 * @param local {@code true} when the endpoint is on this node: the bridge reaches it, the VTEP
 *     neither encapsulates to it nor answers ARP for it (it answers for itself)
 */
public record Endpoint(Ipv4Address ip, MacAddress mac, Ipv4Address vtep, boolean local) {

    public Endpoint {
        Objects.requireNonNull(ip, "ip");
        Objects.requireNonNull(mac, "mac");
        if (!local && vtep == null) {
            throw new IllegalArgumentException("remote endpoint " + ip + " needs the VTEP address of its node");
        }
        if (mac.isMulticast()) {
            throw new IllegalArgumentException("endpoint " + ip + " has a group MAC " + mac);
        }
    }

    /** An endpoint on another node, MAC derived from the address as Docker does. */
    public static Endpoint remote(Ipv4Address ip, Ipv4Address vtep) {
        return new Endpoint(ip, MacAddress.fromIpv4(ip), vtep, false);
    }

    /** An endpoint on this node, MAC derived from the address as Docker does. */
    public static Endpoint local(Ipv4Address ip) {
        return new Endpoint(ip, MacAddress.fromIpv4(ip), null, true);
    }
}
