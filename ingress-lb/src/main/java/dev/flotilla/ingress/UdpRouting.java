package dev.flotilla.ingress;

import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;

/**
 * What a UDP flow table ({@link UdpFrontendHandler}) asks about a datagram that belongs to no flow
 * yet: how flows are keyed, which pool and counters it falls under, and which channel carries the
 * replies. A published port keys by client and replies from its own socket; a VIP listener keys by
 * client and original destination and replies from a transparent socket bound to that destination.
 * Called on the table's event loop only.
 */
interface UdpRouting {

    /** Where a new flow goes: the pool to pick from, the counters it adds to, the port to send to (0: the backend's). */
    record Route(BackendPool pool, ProxyCounters counters, int targetPort) {
    }

    /** The flow-table key of {@code packet}. Must not retain the packet. */
    Object key(DatagramPacket packet);

    /**
     * The route for a datagram that opens a flow, or {@code null} when nothing may take it (no such
     * VIP); the routing counted the drop itself in that case.
     */
    Route route(DatagramPacket packet);

    /**
     * The channel the flow's replies go out on, set on {@code flow} ({@link UdpFlow#replyChannel},
     * {@link UdpFlow#ownsReplyChannel}); false when it cannot be had (the flow is then dropped).
     *
     * @param listener the table's own socket
     * @param table    the table, for handlers that must forget the flow
     */
    boolean attachReplyChannel(Channel listener, UdpFlow flow, UdpFrontendHandler table);
}
