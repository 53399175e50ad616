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
}
