package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The underlay socket, seen from the VTEP protocol (the socket boundary of the WireGuard-go
 * layering). Confined to one event loop: every method is called on the thread that serves the
 * socket. {@link Vtep} provides the real one over an epoll datagram channel.
 */
public interface UdpBind {

    /**
     * Queues {@code payload}'s readable bytes as one datagram to {@code recipient}; nothing is sent
     * before {@link #flush()}.
     *
     * @param payload ownership passes to the bind, which releases it once sent or failed
     */
    void send(ByteBuf payload, InetSocketAddress recipient);

    /**
     * As {@link #send(ByteBuf, InetSocketAddress)}, from the source port this bind chooses for
     * {@code flowHash} ({@link FlowHash}): the same hash always gets the same port. This default
     * ignores the hash.
     */
    default void send(ByteBuf payload, InetSocketAddress recipient, int flowHash) {
        send(payload, recipient);
    }

    /** As {@link #sendSegmented(ByteBuf, int, InetSocketAddress)}, from {@code flowHash}'s source port. */
    default void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient, int flowHash) {
        sendSegmented(payload, segmentSize, recipient);
    }

    /**
     * Queues {@code payload}'s readable bytes as consecutive datagrams of {@code segmentSize}
     * bytes each (the last may be shorter), sent with one {@code sendmsg} and {@code UDP_SEGMENT}
     * where the socket supports it. This default queues each segment with {@link #send}.
     *
     * @param payload ownership passes to the bind
     */
    default void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient) {
        try {
            while (payload.isReadable()) {
                send(payload.readRetainedSlice(Math.min(segmentSize, payload.readableBytes())), recipient);
            }
        } finally {
            payload.release();
        }
    }

    /** Sends everything queued since the last flush, as one batch ({@code sendmmsg}) where possible. */
    void flush();

    /** {@code false} while the outbound queue is above its high-water mark: stop producing. */
    boolean isWritable();
}
