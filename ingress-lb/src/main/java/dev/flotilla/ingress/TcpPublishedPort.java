package dev.flotilla.ingress;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A published TCP port: an epoll listener whose connections are relayed to the pool's backends. */
final class TcpPublishedPort implements PublishedPort {

    private static final Logger log = LoggerFactory.getLogger(TcpPublishedPort.class);

    private final BackendPool pool;
    private final ProxyCounters counters = new ProxyCounters();
    /** Client channels of this port, so that unpublishing closes them (and thereby their backends). */
    private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final Consumer<PublishedPort> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once by {@link #bind} before the port is handed out. */
    private volatile Channel listener;

    private TcpPublishedPort(BackendPool pool, Consumer<PublishedPort> onClose) {
        this.pool = pool;
        this.onClose = onClose;
    }

    static TcpPublishedPort bind(EventLoopGroup group, InetSocketAddress listenAddress, BackendPool pool,
                                 ProxyOptions options, Consumer<PublishedPort> onClose) throws PortInUseException {
        TcpPublishedPort port = new TcpPublishedPort(pool, onClose);
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, options.relayWaterMark())
                .childOption(ChannelOption.RECVBUF_ALLOCATOR, options.relayReadAllocator())
                .childHandler(port.clientInitializer(upstreamTemplate(options), options))
                .bind(listenAddress)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw IngressRouter.bindFailure(listenAddress.getPort(), Protocol.TCP, bound.cause());
        }
        port.listener = bound.channel();
        log.info("published {}/tcp on {}", port.port(), port.listener.localAddress());
        return port;
    }

    /**
     * Upstream connections: AUTO_READ off, half-close, the options' relay water marks and read sizes,
     * bound to the options' upstream address before connecting.
     */
    static Bootstrap upstreamTemplate(ProxyOptions options) {
        Bootstrap template = new Bootstrap()
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, options.relayWaterMark())
                .option(ChannelOption.RECVBUF_ALLOCATOR, options.relayReadAllocator())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) options.connectTimeout().toMillis());
        if (options.upstreamBindAddress() != null) {
            template.localAddress(new InetSocketAddress(options.upstreamBindAddress(), 0));
        }
        return template;
    }

    private ChannelInitializer<Channel> clientInitializer(Bootstrap upstreamTemplate, ProxyOptions options) {
        long idleNanos = options.tcpIdleTimeout().toNanos();
        IdleCloseHandler idleClose = idleNanos > 0 ? new IdleCloseHandler(counters.connectionsIdleClosed) : null;
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel client) {
                clients.add(client);
                ChannelPipeline p = client.pipeline();
                if (idleClose != null) {
                    p.addLast(new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS), idleClose);
                }
                p.addLast(new TcpFrontendHandler(pool, upstreamTemplate, counters));
            }
        };
    }

    @Override
    public int port() {
        return localAddress().getPort();
    }

    @Override
    public Protocol protocol() {
        return Protocol.TCP;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) listener.localAddress();
    }

    @Override
    public BackendPool pool() {
        return pool;
    }

    @Override
    public ProxyCounters counters() {
        return counters;
    }

    /** Client connections open now. */
    int openConnections() {
        return clients.size();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Channel ch = listener;
        int port = port();
        ChannelFuture closed = ch.close();
        clients.close();
        if (!ch.eventLoop().inEventLoop()) {
            closed.awaitUninterruptibly();
        }
        onClose.accept(this);
        log.info("unpublished {}/tcp", port);
    }

    @Override
    public String toString() {
        return "TcpPublishedPort{" + listener.localAddress() + " -> " + pool.backends() + "}";
    }
}
