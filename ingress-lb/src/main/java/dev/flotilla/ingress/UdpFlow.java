package dev.flotilla.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One client's UDP flow: the client's datagrams go to one backend, chosen when the flow opened,
 * through an upstream socket connected to that backend; the backend's replies go back to the client
 * through the flow's reply channel ({@link UdpReplyHandler}): the published port's own socket, or,
 * behind a VIP, a transparent socket bound to the VIP:port the client sent to.
 *
 * <p>No volatile, no lock: a flow is only touched on its table's event loop, where its upstream
 * and reply channels are registered too.
 */
final class UdpFlow {

    /** Datagrams kept while the upstream socket connects; the connect is local, so a few suffice. */
    static final int MAX_PENDING_DATAGRAMS = 16;

    /** The flow table's key for this flow (see {@link UdpRouting#key}). */
    final Object key;
    final InetSocketAddress client;
    final Backend backend;
    /** Counters of the published port or VIP this flow belongs to. */
    final ProxyCounters counters;
    Channel upstream;
    /** Where replies are written: the listener (shared, never closed here) or the flow's own socket. */
    Channel replyChannel;
    /** True when {@link #replyChannel} is this flow's own socket, closed with the flow. */
    boolean ownsReplyChannel;
    long lastActiveNanos;
    /** True while this flow is queued in the table's flush list. */
    boolean flushQueued;
    private boolean connected;
    private ArrayDeque<ByteBuf> pending;

    UdpFlow(Object key, InetSocketAddress client, Backend backend, ProxyCounters counters, long nowNanos) {
        this.key = key;
        this.client = client;
        this.backend = backend;
        this.counters = counters;
        this.lastActiveNanos = nowNanos;
    }

    /**
     * Takes ownership of {@code datagram}: written to the upstream socket (which releases it once
     * sent), kept until the socket is connected, or released here when it cannot be kept.
     *
     * @return false when the datagram was dropped
     */
    boolean send(ByteBuf datagram, long nowNanos) {
        lastActiveNanos = nowNanos;
        if (connected) {
            upstream.write(datagram, upstream.voidPromise());
            return true;
        }
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        if (pending.size() >= MAX_PENDING_DATAGRAMS) {
            datagram.release();
            return false;
        }
        pending.add(datagram);
        return true;
    }

    void flush() {
        flushQueued = false;
        if (connected) {
            upstream.flush();
        }
    }

    /** The upstream socket is connected: sends what arrived meanwhile. */
    void onConnected() {
        connected = true;
        if (pending != null) {
            for (ByteBuf datagram; (datagram = pending.poll()) != null; ) {
                upstream.write(datagram, upstream.voidPromise());
            }
            pending = null;
            upstream.flush();
        }
    }

    /** Closes the flow's sockets and releases what was waiting; returns how many datagrams that dropped. */
    int close() {
        int dropped = 0;
        if (pending != null) {
            for (ByteBuf datagram; (datagram = pending.poll()) != null; ) {
                datagram.release();
                dropped++;
            }
            pending = null;
        }
        if (upstream != null) {
            upstream.close();
        }
        if (ownsReplyChannel && replyChannel != null) {
            replyChannel.close();
        }
        return dropped;
    }

    @Override
    public String toString() {
        return client + " -> " + backend;
    }
}
