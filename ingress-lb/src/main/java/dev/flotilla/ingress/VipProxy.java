package dev.flotilla.ingress;

import dev.flotilla.dataplane.NetnsEventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The east-west load balancer of one overlay network on this node: the daemon's transparent
 * listeners in the network's namespace, where nftables TPROXY steers every TCP connection and UDP
 * datagram addressed to any VIP of the network, on any port ({@code dataplane}'s
 * {@code link.TproxyVips} installs that steering towards {@link #tcpPort()} and {@link #udpPort()}).
 *
 * <p>TCP: an {@code IP_TRANSPARENT} listener on {@code 0.0.0.0:tcpPort}; an accepted connection's
 * local address is the VIP:port the client asked for. The connection goes to the next backend of
 * that VIP's pool, on the same port, from this node's LB address on the network (bound before
 * connecting), through the same relay as published ports ({@link TcpFrontendHandler},
 * {@link TcpRelayHandler}). A VIP with no running task resets the connection at once.
 *
 * <p>UDP: an {@code IP_TRANSPARENT} + {@code IP_RECVORIGDSTADDR} socket on {@code 0.0.0.0:udpPort}
 * reads each datagram's original VIP:port. A new flow (client, VIP:port) gets a backend socket,
 * connected to the chosen task from the LB address, and a transparent socket bound to the VIP:port
 * and connected to the client: replies leave from the VIP, and the flow's later datagrams reach that
 * socket directly (TPROXY prefers a connected socket matching the packet). The flow table is
 * {@link UdpFrontendHandler}'s, with its idle expiry.
 *
 * <p>The group must be epoll loops whose threads live in the network's namespace
 * ({@code NetnsEventLoops.inNamespace}); the proxy does not own it. Pools are updated in place
 * ({@link #setBackends}); established connections and flows are never touched by a pool change.
 * Thread-safe; {@link #start} and {@link #close} block, so call them from a control-plane thread.
 */
public final class VipProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VipProxy.class);

    /** One VIP: its pool, counters, and TCP connections (closed when the VIP is removed). */
    private static final class Vip {
        final InetAddress address;
        final BackendPool pool = new BackendPool();
        final ProxyCounters counters = new ProxyCounters();
        final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        final IdleCloseHandler idleClose = new IdleCloseHandler(counters.connectionsIdleClosed);

        Vip(InetAddress address) {
            this.address = address;
        }
    }

    /** A UDP flow behind a VIP: who sent, and to which VIP:port. */
    private record FlowKey(InetSocketAddress client, InetSocketAddress destination) {
    }

    private final EventLoopGroup group;
    private final ProxyOptions options;
    private final Map<InetAddress, Vip> vips = new ConcurrentHashMap<>();
    private final ProxyCounters unknownVip = new ProxyCounters();
    private final UdpFrontendHandler udpTable;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Channel tcpListener;
    private volatile Channel udpListener;

    private VipProxy(EventLoopGroup group, ProxyOptions options) {
        this.group = group;
        this.options = options;
        this.udpTable = new UdpFrontendHandler(new VipRouting(), options);
    }

    /**
     * Binds the transparent listeners on {@code 0.0.0.0:tcpPort} and {@code 0.0.0.0:udpPort} (0: an
     * ephemeral port, see {@link #tcpPort()} / {@link #udpPort()}) in the group's namespace.
     *
     * @param group     epoll loops inside the network's namespace
     * @param lbAddress this node's LB address on the network (on br0): upstream connections and
     *                  flows are made from it, so the tasks' replies come back to this node
     * @param options   timeouts and limits; its {@code upstreamBindAddress} is replaced by {@code lbAddress}
     */
    public static VipProxy start(EventLoopGroup group, InetAddress lbAddress, int tcpPort, int udpPort,
                                 ProxyOptions options) {
        Epoll.ensureAvailability();
        Objects.requireNonNull(group, "group");
        requireIpv4(lbAddress, "lbAddress");
        VipProxy proxy = new VipProxy(group, options.withUpstreamBindAddress(lbAddress));
        try {
            proxy.tcpListener = bind(group, proxy.tcpBootstrap(), tcpPort, "tcp");
            proxy.udpListener = bind(group, proxy.udpBootstrap(), udpPort, "udp");
        } catch (RuntimeException e) {
            proxy.close();
            throw e;
        }
        log.info("vip proxy: transparent listeners tcp {} udp {}, from {}, tcpIdleTimeout={} (0 = none), "
                        + "udpFlowIdleTimeout={}, relayBufferBytes={}", proxy.tcpPort(), proxy.udpPort(),
                lbAddress.getHostAddress(), options.tcpIdleTimeout(), options.udpFlowIdleTimeout(),
                options.relayBufferBytes());
        return proxy;
    }

    private static Channel bind(EventLoopGroup group, io.netty.bootstrap.AbstractBootstrap<?, ?> bootstrap, int port,
                                String what) {
        Future<Channel> bound = NetnsEventLoops.bindOnLoop(group.next(), bootstrap, new InetSocketAddress(port))
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("cannot bind the transparent " + what + " listener on port " + port
                    + ": " + bound.cause(), bound.cause());
        }
        return bound.getNow();
    }

    private ServerBootstrap tcpBootstrap() {
        return new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, options.relayWaterMark())
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, options.relayReadAllocator())
                .childHandler(clientInitializer(TcpPublishedPort.upstreamTemplate(options)));
    }

    private Bootstrap udpBootstrap() {
        return new Bootstrap()
                .group(group)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(EpollChannelOption.IP_TRANSPARENT, true)
                .option(EpollChannelOption.IP_RECVORIGDSTADDR, true)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(options.maxDatagramBytes()))
                .handler(udpTable);
    }

    private ChannelInitializer<Channel> clientInitializer(Bootstrap upstreamTemplate) {
        long idleNanos = options.tcpIdleTimeout().toNanos();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel client) {
                InetSocketAddress original = (InetSocketAddress) client.localAddress();
                Vip vip = vips.get(original.getAddress());
                if (vip == null || vip.pool.isEmpty()) {
                    ProxyCounters counters = vip == null ? unknownVip : vip.counters;
                    counters.connectionsAccepted.increment();
                    counters.connectionsFailed.increment();
                    log.debug("no backend for {} -> {}: reset", client.remoteAddress(), original);
                    reset(client);
                    return;
                }
                vip.connections.add(client);
                ChannelPipeline p = client.pipeline();
                if (idleNanos > 0) {
                    p.addLast(new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS), vip.idleClose);
                }
                p.addLast(new TcpFrontendHandler(vip.pool, upstreamTemplate, vip.counters, original.getPort()));
            }
        };
    }

    /** VIPs are IPv4 only, as Docker's; the steering (table {@code ip ...}) only sees IPv4. */
    private static InetAddress requireIpv4(InetAddress address, String what) {
        Objects.requireNonNull(address, what);
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException(what + " must be an IPv4 address, got " + address.getHostAddress());
        }
        return address;
    }

    /** Closes with SO_LINGER 0: the client gets a RST at once instead of waiting on a connection nobody serves. */
    private static void reset(Channel client) {
        client.config().setOption(ChannelOption.SO_LINGER, 0);
        client.close();
    }

    /**
     * Sets the tasks behind {@code vip} (their addresses on this network); new connections and flows
     * to the VIP, on any port, go to them round robin. Creates the VIP if it is new. Established
     * connections and flows are not touched. An empty list keeps the VIP, refusing new connections.
     */
    public void setBackends(InetAddress vip, Collection<? extends InetAddress> backends) {
        requireIpv4(vip, "vip");
        List<Backend> pool = backends.stream()
                .map(a -> new Backend(requireIpv4(a, "backend of " + vip.getHostAddress()).getHostAddress(),
                        new InetSocketAddress(a, 0)))
                .toList();
        vips.computeIfAbsent(vip, Vip::new).pool.setBackends(pool);
    }

    /**
     * Forgets {@code vip}: its TCP connections and UDP flows are closed, and new ones are refused
     * (until the steering stops sending them here). False if it was not known.
     */
    public boolean removeVip(InetAddress vip) {
        Vip removed = vips.remove(vip);
        if (removed == null) {
            return false;
        }
        removed.connections.close();
        Channel udp = udpListener;
        if (udp != null) {
            udp.eventLoop().execute(() -> udpTable.closeFlows(
                    flow -> ((FlowKey) flow.key).destination().getAddress().equals(vip)));
        }
        return true;
    }

    /** The VIPs this proxy serves. */
    public Set<InetAddress> vips() {
        return Set.copyOf(vips.keySet());
    }

    /** The tasks behind {@code vip} now (empty if unknown). */
    public List<InetAddress> backends(InetAddress vip) {
        Vip v = vips.get(vip);
        return v == null ? List.of() : v.pool.backends().stream().map(b -> b.address().getAddress()).toList();
    }

    /** What {@code vip} has done: connections, refusals (no backend), bytes, flows, drops. */
    public Optional<ProxyCounters> counters(InetAddress vip) {
        Vip v = vips.get(vip);
        return v == null ? Optional.empty() : Optional.of(v.counters);
    }

    /** Connections and datagrams that arrived for an address this proxy has no VIP for (reset / dropped). */
    public ProxyCounters unknownVipCounters() {
        return unknownVip;
    }

    /** TCP client connections open now, over every VIP. */
    public int openConnections() {
        return vips.values().stream().mapToInt(v -> v.connections.size()).sum();
    }

    public int tcpPort() {
        return ((InetSocketAddress) tcpListener.localAddress()).getPort();
    }

    public int udpPort() {
        return ((InetSocketAddress) udpListener.localAddress()).getPort();
    }

    /** Closes both listeners and every connection and flow; idempotent. The group stays up. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (Channel ch : new Channel[] {tcpListener, udpListener}) {
            if (ch != null) {
                ChannelFuture done = ch.close();
                if (!ch.eventLoop().inEventLoop()) {
                    done.awaitUninterruptibly();
                }
            }
        }
        for (Vip vip : vips.values()) {
            vip.connections.close().awaitUninterruptibly();
        }
        log.info("vip proxy closed");
    }

    /** Flows keyed by client and original destination; pools and counters per VIP; replies from the VIP. */
    private final class VipRouting implements UdpRouting {

        @Override
        public Object key(DatagramPacket packet) {
            return new FlowKey(packet.sender(), packet.recipient());
        }

        @Override
        public Route route(DatagramPacket packet) {
            InetSocketAddress destination = packet.recipient();
            Vip vip = vips.get(destination.getAddress());
            if (vip == null) {
                unknownVip.datagramsDropped.increment();
                return null;
            }
            return new Route(vip.pool, vip.counters, destination.getPort());
        }

        @Override
        public boolean attachReplyChannel(Channel listener, UdpFlow flow, UdpFrontendHandler table) {
            InetSocketAddress vipAddress = ((FlowKey) flow.key).destination();
            ChannelFuture connect = new Bootstrap()
                    .group(listener.eventLoop())
                    .channel(EpollDatagramChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(EpollChannelOption.IP_TRANSPARENT, true)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(options.maxDatagramBytes()))
                    .handler(new VipFlowClientHandler(flow, table))
                    .connect(flow.client, vipAddress);
            if (connect.isDone() && !connect.isSuccess()) {
                log.debug("udp flow {}: cannot bind {}: {}", flow, vipAddress, connect.cause().toString());
                return false;
            }
            flow.replyChannel = connect.channel();
            flow.ownsReplyChannel = true;
            connect.addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    log.debug("udp flow {}: cannot bind {}: {}", flow, vipAddress, f.cause().toString());
                    table.closeFlow(flow);
                }
            });
            return true;
        }
    }

    /** On a VIP flow's own socket (VIP:port, connected to the client): the client's later datagrams. */
    private static final class VipFlowClientHandler extends ChannelInboundHandlerAdapter {
        private final UdpFlow flow;
        private final UdpFrontendHandler table;

        VipFlowClientHandler(UdpFlow flow, UdpFrontendHandler table) {
            this.flow = flow;
            this.table = table;
        }

        /** Takes ownership of {@code msg}: its content goes to the flow's backend. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
            table.forward(flow, content, System.nanoTime());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            table.flushPending();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("udp flow {} failed on the client side: {}", flow, cause.toString());
            table.closeFlow(flow);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            table.closeFlow(flow);
            ctx.fireChannelInactive();
        }
    }
}
