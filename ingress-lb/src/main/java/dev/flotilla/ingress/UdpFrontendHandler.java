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
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a UDP listener's socket (a published port, or a namespace's transparent VIP socket): the flow
 * table. A datagram with no flow opens one to the backend its route's pool chooses; later datagrams
 * of that flow follow it. Flows quiet for the idle timeout are forgotten by a periodic sweep. How
 * flows are keyed and where replies leave from is the {@link UdpRouting}'s business.
 *
 * <p>One instance per listener. No volatile, no lock: the table, its flows and their sockets are
 * only touched on the listener's event loop.
 */
final class UdpFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpFrontendHandler.class);
    /** Sweeps run four times per idle timeout, so a flow outlives its timeout by at most a quarter of it... */
    private static final int SWEEPS_PER_TIMEOUT = 4;
    /** ...but no more often than this, to keep a tiny timeout from spinning the loop. */
    private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final UdpRouting routing;
    private final ProxyOptions options;
    private final long idleTimeoutNanos;
    private final Map<Object, UdpFlow> flows = new HashMap<>();
    /** Flows written to during the current read burst; flushed once at its end, then cleared. */
    private final ArrayList<UdpFlow> toFlush = new ArrayList<>();
    private Bootstrap upstreamTemplate;
    private ScheduledFuture<?> sweeper;

    UdpFrontendHandler(UdpRouting routing, ProxyOptions options) {
        this.routing = routing;
        this.options = options;
        this.idleTimeoutNanos = options.udpFlowIdleTimeout().toNanos();
    }

    /** A published port's table: every flow goes to {@code pool}, replies leave from the port's socket. */
    static UdpFrontendHandler forPool(BackendPool pool, ProxyOptions options, ProxyCounters counters) {
        UdpRouting.Route route = new UdpRouting.Route(pool, counters, 0);
        return new UdpFrontendHandler(new UdpRouting() {
            @Override
            public Object key(DatagramPacket packet) {
                return packet.sender();
            }

            @Override
            public Route route(DatagramPacket packet) {
                return route;
            }

            @Override
            public boolean attachReplyChannel(Channel listener, UdpFlow flow, UdpFrontendHandler table) {
                flow.replyChannel = listener;
                return true;
            }
        }, options);
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

    /** Takes ownership of {@code msg}: its content goes to the datagram's flow, or is released when dropped. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        long now = System.nanoTime();
        Object key = routing.key(packet);
        UdpFlow flow = flows.get(key);
        if (flow == null && (flow = openFlow(ctx.channel(), key, packet, now)) == null) {
            packet.release();
            return;
        }
        forward(flow, packet.content(), now);
    }

    /**
     * Sends {@code datagram} (ownership passes) to {@code flow}'s backend, flushed at the end of the
     * read burst. Also called by the handler of a VIP flow's own socket.
     */
    void forward(UdpFlow flow, ByteBuf datagram, long now) {
        int bytes = datagram.readableBytes();
        if (!flow.send(datagram, now)) {
            flow.counters.datagramsDropped.increment();
            return;
        }
        flow.counters.bytesToBackends.add(bytes);
        if (!flow.flushQueued) {
            flow.flushQueued = true;
            toFlush.add(flow);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushPending();
    }

    /** Flushes the flows written to since the last flush. */
    void flushPending() {
        for (int i = 0; i < toFlush.size(); i++) {
            toFlush.get(i).flush();
        }
        toFlush.clear();
    }

    /** Opens a flow for {@code packet}, or returns null (the drop counted) when nothing may take it. */
    private UdpFlow openFlow(Channel listener, Object key, DatagramPacket packet, long now) {
        UdpRouting.Route route = routing.route(packet);
        if (route == null) {
            return null;
        }
        InetSocketAddress client = packet.sender();
        if (flows.size() >= options.maxUdpFlows()) {
            route.counters().datagramsDropped.increment();
            log.debug("udp flow table of {} is full; dropping datagram from {}", listener.localAddress(), client);
            return null;
        }
        Optional<Backend> chosen = route.pool().next();
        if (chosen.isEmpty()) {
            route.counters().datagramsDropped.increment();
            log.debug("no backend for udp datagram from {} to {}", client, packet.recipient());
            return null;
        }
        Backend backend = route.targetPort() == 0 ? chosen.get()
                : new Backend(chosen.get().id(), new InetSocketAddress(chosen.get().address().getAddress(), route.targetPort()));
        UdpFlow flow = new UdpFlow(key, client, backend, route.counters(), now);
        if (!routing.attachReplyChannel(listener, flow, this)) {
            route.counters().datagramsDropped.increment();
            return null;
        }
        flows.put(flow.key, flow);
        flow.counters.flowsCreated.increment();
        flow.counters.flowsActive.increment();
        ChannelFuture connect = upstreamTemplate.clone()
                .handler(new UdpReplyHandler(flow, this))
                .connect(backend.address());
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
        if (flows.remove(flow.key, flow)) {
            flow.counters.flowsActive.decrement();
            flow.counters.datagramsDropped.add(flow.close());
        }
    }

    /** Forgets every flow {@code which} selects (a VIP that went away). Event loop only. */
    void closeFlows(Predicate<UdpFlow> which) {
        for (UdpFlow flow : new ArrayList<>(flows.values())) {
            if (which.test(flow)) {
                closeFlow(flow);
            }
        }
    }

    /** Flows open now. Event loop only. */
    int flowCount() {
        return flows.size();
    }

    private void expireIdleFlows() {
        long now = System.nanoTime();
        for (Iterator<UdpFlow> it = flows.values().iterator(); it.hasNext(); ) {
            UdpFlow flow = it.next();
            if (now - flow.lastActiveNanos >= idleTimeoutNanos) {
                it.remove();
                flow.counters.flowsActive.decrement();
                flow.counters.flowsExpired.increment();
                flow.counters.datagramsDropped.add(flow.close());
                log.debug("udp flow {} expired", flow);
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        closeFlows(flow -> true);
        toFlush.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The listener itself stays open: one bad datagram or send must not close it.
        if (log.isDebugEnabled()) {
            log.debug("udp listener {}: {}", ctx.channel().localAddress(), cause.toString());
        }
    }
}
