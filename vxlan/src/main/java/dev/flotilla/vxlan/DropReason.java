package dev.flotilla.vxlan;

/**
 * Why the VTEP dropped a packet or frame. Each reason is one counter, {@code vxlan.drop.<name>};
 * the hot paths count, they never log per packet.
 */
public enum DropReason {
    /** Underlay datagram shorter than the 8-byte VXLAN header plus a 14-byte inner Ethernet header. */
    SHORT("short"),
    /** VXLAN flags are not exactly the I bit (0x08), or a reserved bit is set. */
    BAD_FLAGS("bad_flags"),
    /** The VNI is not a network attached on this node. */
    UNKNOWN_VNI("unknown_vni"),
    /** The datagram's source address is not a cluster node. */
    NOT_A_PEER("not_a_peer"),
    /** A unicast frame from a TAP whose destination MAC is not in the network's endpoint table. */
    NO_FDB_ENTRY("no_fdb_entry"),
    /** A frame from a TAP addressed to an endpoint on this node: the bridge delivers those, not the VTEP. */
    LOCAL_DESTINATION("local_destination"),
    /** Broadcast or multicast that is not an ARP request: the overlay never floods. */
    NOT_FLOODED("not_flooded"),
    /** An ARP request for an address that is not a remote endpoint of the network (no flood either). */
    ARP_UNKNOWN_TARGET("arp_unknown_target"),
    /** An ARP frame that is not Ethernet/IPv4 ARP, is truncated, or is not a request. */
    ARP_MALFORMED("arp_malformed"),
    /** A frame from a TAP that filled the whole read buffer, so it may be truncated (TAP MTU above the configured one). */
    OVERSIZE("oversize"),
    /**
     * A frame from a TAP whose {@code virtio_net_hdr} is unusable: an offload we did not enable, a
     * checksum position outside the frame, a GSO frame that is not TCP/IPv4 or a bogus GSO size.
     */
    BAD_VNET_HEADER("bad_vnet_header"),
    /** The UDP socket's outbound buffer is full; the frame is dropped rather than queued without bound. */
    UNDERLAY_BUSY("underlay_busy");

    private final String counterName;

    DropReason(String counterName) {
        this.counterName = counterName;
    }

    /** The counter's name inside the VTEP's scope, e.g. {@code drop.unknown_vni}. */
    public String counterName() {
        return "drop." + counterName;
    }
}
