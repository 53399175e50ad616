package dev.flotilla.vxlan;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * How a {@link Vtep} binds and sizes its buffers.
 *
 * <p><b>MTU.</b> Encapsulation adds outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14)
 * = 50 bytes, so a network's task MTU (task {@code eth0}, {@code br0} and the TAP) must be the
 * underlay MTU - 50: 1450 on a 1500-byte underlay. The caller sets those links; this class only
 * sizes buffers so that a frame of {@link #innerMtu()} fits. A larger frame read from a TAP is
 * dropped as {@link DropReason#OVERSIZE}.
 *
 * @param bindAddress local address of the UDP socket; {@code 0.0.0.0} (any) by default
 * @param port UDP port, 4789 (IANA VXLAN) unless the cluster chose another ({@code --data-path-port})
 * @param underlayMtu MTU of the underlay link, 576..65535
 */
public record VtepConfig(InetAddress bindAddress, int port, int underlayMtu) {

    public static final int DEFAULT_PORT = 4789;
    public static final int DEFAULT_UNDERLAY_MTU = 1500;
    /** Outer IPv4 + UDP + VXLAN + inner Ethernet header. */
    public static final int OVERHEAD = 20 + 8 + VxlanHeader.LENGTH + EthernetFrame.HEADER_LENGTH;

    public VtepConfig {
        Objects.requireNonNull(bindAddress, "bindAddress");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("VXLAN UDP port " + port + " is outside 1..65535");
        }
        if (underlayMtu < 576 || underlayMtu > 65535) {
            throw new IllegalArgumentException("underlay MTU " + underlayMtu + " is outside 576..65535");
        }
    }

    /** Any address, port 4789, 1500-byte underlay. */
    public static VtepConfig defaults() {
        return new VtepConfig(new InetSocketAddress(0).getAddress(), DEFAULT_PORT, DEFAULT_UNDERLAY_MTU);
    }

    public VtepConfig withPort(int newPort) {
        return new VtepConfig(bindAddress, newPort, underlayMtu);
    }

    public VtepConfig withUnderlayMtu(int mtu) {
        return new VtepConfig(bindAddress, port, mtu);
    }

    /** The MTU tasks, bridge and TAP of every network must use: underlay MTU - 50. */
    public int innerMtu() {
        return underlayMtu - OVERHEAD;
    }

    /** Largest inner Ethernet frame (no FCS): inner MTU + 14. */
    public int maxFrameLength() {
        return innerMtu() + EthernetFrame.HEADER_LENGTH;
    }

    /** Largest UDP payload we send or expect: VXLAN header + the largest frame. */
    public int maxDatagramPayload() {
        return VxlanHeader.LENGTH + maxFrameLength();
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(bindAddress, port);
    }
}
