package dev.flotilla.ingress;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a published UDP port's socket: the flow table. A datagram from a client with no flow opens one
 * to the backend the pool chooses; later datagrams of that client follow it. Flows quiet for the
 * idle timeout are forgotten by a periodic sweep.
 *
 * <p>One instance per published port. No volatile, no lock: the table, its flows and their
 * upstream sockets are only touched on the published port's event loop.
 */
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpFrontendHandler.class);
    /** Sweeps run four times per idle timeout, so a flow outlives its timeout by at most a quarter of it... */
    private static final int SWEEPS_PER_TIMEOUT = 4;
    /** ...but no more often than this, to keep a tiny timeout from spinning the loop. */
    private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final BackendPool pool;
    private final ProxyOptions options;
    private final ProxyCounters counters;
    private final long idleTimeoutNanos;
    private final Map<InetSocketAddress, UdpFlow> flows = new HashMap<>();
    /** Flows written to during the current read burst; flushed once at its end, then cleared. */
    private final ArrayList<UdpFlow> toFlush = new ArrayList<>();
    private Bootstrap upstreamTemplate;
    private ScheduledFuture<?> sweeper;

    UdpFrontendHandler(BackendPool pool, ProxyOptions options, ProxyCounters counters) {
        this.pool = pool;
        this.options = options;
        this.counters = counters;
        this.idleTimeoutNanos = options.udpFlowIdleTimeout().toNanos();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        Channel listener = ctx.channel();
        upstreamTemplate = new Bootstrap()
                .group(listener.eventLoop())
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(options.maxDatagramBytes()));
        if (options.upstreamBindAddress() != null) {
            upstreamTemplate.localAddress(new InetSocketAddress(options.upstreamBindAddress(), 0));
        }
        long period = Math.max(MIN_SWEEP_NANOS, idleTimeoutNanos / SWEEPS_PER_TIMEOUT);
        sweeper = listener.eventLoop().scheduleAtFixedRate(this::expireIdleFlows, period, period, TimeUnit.NANOSECONDS);
        ctx.fireChannelActive();
    }

    /** Takes ownership of {@code msg}: its content goes to the client's flow, or is released when dropped. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        InetSocketAddress client = packet.sender();
        long now = System.nanoTime();
        UdpFlow flow = flows.get(client);
        if (flow == null && (flow = openFlow(ctx.channel(), client, now)) == null) {
            counters.datagramsDropped.increment();
            packet.release();
            return;
        }
        ByteBuf content = packet.content();
        int bytes = content.readableBytes();
        if (!flow.send(content, now)) {
            counters.datagramsDropped.increment();
            return;
        }
        counters.bytesToBackends.add(bytes);
        if (!flow.flushQueued) {
            flow.flushQueued = true;
            toFlush.add(flow);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        for (int i = 0; i < toFlush.size(); i++) {
            toFlush.get(i).flush();
        }
        toFlush.clear();
    }

    /** Opens a flow for {@code client}, or returns null when the table is full or the pool is empty. */
    private UdpFlow openFlow(Channel listener, InetSocketAddress client, long now) {
        if (flows.size() >= options.maxUdpFlows()) {
            log.debug("udp flow table of {} is full; dropping datagram from {}", listener.localAddress(), client);
            return null;
        }
        Optional<Backend> backend = pool.next();
        if (backend.isEmpty()) {
            log.debug("no backend for udp datagram from {} on {}", client, listener.localAddress());
            return null;
        }
        UdpFlow flow = new UdpFlow(client, backend.get(), now);
        flows.put(client, flow);
        counters.flowsCreated.increment();
        counters.flowsActive.increment();
        ChannelFuture connect = upstreamTemplate.clone()
                .handler(new UdpReplyHandler(flow, listener, this, counters.bytesToClients))
                .connect(backend.get().address());
        flow.upstream = connect.channel();
        connect.addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) {
                flow.onConnected();
            } else {
                if (log.isDebugEnabled()) {
                    log.debug("udp flow {} could not connect: {}", flow, f.cause().toString());
                }
                closeFlow(flow);
            }
        });
        log.debug("udp flow {} opened", flow);
        return flow;
    }

    /** Forgets {@code flow} if it is still in the table; safe to call more than once. */
    void closeFlow(UdpFlow flow) {
        if (flows.remove(flow.client, flow)) {
            counters.flowsActive.decrement();
            counters.datagramsDropped.add(flow.close());
        }
    }

    private void expireIdleFlows() {
        long now = System.nanoTime();
        for (Iterator<UdpFlow> it = flows.values().iterator(); it.hasNext(); ) {
            UdpFlow flow = it.next();
            if (now - flow.lastActiveNanos >= idleTimeoutNanos) {
                it.remove();
                counters.flowsActive.decrement();
                counters.flowsExpired.increment();
                counters.datagramsDropped.add(flow.close());
                log.debug("udp flow {} expired", flow);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            closeFlow(flow);
        }
        toFlush.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The published socket itself stays open: one bad datagram or send must not unpublish the port.
        if (log.isDebugEnabled()) {
            log.debug("udp port {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }
}
