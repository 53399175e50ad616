package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * One overlay network's TAP, seen from the VTEP protocol: the place decapsulated frames and ARP
 * replies are written. The device boundary of the WireGuard-go layering; {@link Vtep} provides
 * the real one over {@code /dev/net/tun}, tests provide in-memory fakes.
 */
public interface TapDevice {

    /** The interface name, e.g. {@code vtep0}. */
    String name();

    /**
     * Writes {@code frame}'s readable bytes as one whole Ethernet frame. Implementations must be
     * safe to call from any thread (a TAP write is one {@code write(2)}).
     *
     * @param frame indexes, reference count and ownership are unchanged on return; the caller
     *     releases it
     * @throws IOException if the kernel refused the frame (e.g. the device is gone)
     */
    void write(ByteBuf frame) throws IOException;

    /**
     * {@code true} when the device was opened with {@code IFF_VNET_HDR} and TCP offloads: then
     * {@link #writeVnet} takes a {@code virtio_net_hdr} before the frame, and the protocol may
     * coalesce TCP segments into one super-frame.
     */
    default boolean vnetHeader() {
        return false;
    }

    /**
     * Writes {@code headerAndFrame}'s readable bytes, a 10-byte {@code virtio_net_hdr} followed by
     * one Ethernet frame (possibly a GSO super-frame), as one {@code write(2)}. Only called when
     * {@link #vnetHeader()}; same threading and ownership rules as {@link #write}.
     *
     * @throws IOException if the kernel refused the frame (e.g. an invalid header)
     */
    default void writeVnet(ByteBuf headerAndFrame) throws IOException {
        throw new UnsupportedOperationException(name() + " takes no virtio_net_hdr");
    }
}
