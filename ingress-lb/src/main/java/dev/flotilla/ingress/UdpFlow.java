package dev.flotilla.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One client's UDP flow: the client's datagrams go to one backend, chosen when the flow opened,
 * through an upstream socket connected to that backend; the backend's replies go back to the client
 * from the published port ({@link UdpReplyHandler}).
 *
 * <p>No volatile, no lock: a flow is only touched on the published port's event loop, where its
 * upstream channel is registered too.
 */
final class UdpFlow {

    /** Datagrams kept while the upstream socket connects; the connect is local, so a few suffice. */
    static final int MAX_PENDING_DATAGRAMS = 16;

    final InetSocketAddress client;
    final Backend backend;
    Channel upstream;
    long lastActiveNanos;
    /** True while this flow is queued in the table's flush list. */
    boolean flushQueued;
    private boolean connected;
    private ArrayDeque<ByteBuf> pending;

    UdpFlow(InetSocketAddress client, Backend backend, long nowNanos) {
        this.client = client;
        this.backend = backend;
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

    /** Closes the upstream socket and releases what was waiting for it; returns how many datagrams that dropped. */
    int close() {
        int dropped = 0;
        if (pending != null) {
            for (ByteBuf datagram; (datagram = pending.poll()) != null; ) {
                datagram.release();
                dropped++;
            }
            pending = null;
        }
        upstream.close();
        return dropped;
    }

    @Override
    public String toString() {
        return client + " -> " + backend;
    }
}
