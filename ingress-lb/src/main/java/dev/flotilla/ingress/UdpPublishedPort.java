package dev.flotilla.ingress;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A published UDP port: one epoll datagram socket and its flow table ({@link UdpFrontendHandler}). */
final class UdpPublishedPort implements PublishedPort {

    private static final Logger log = LoggerFactory.getLogger(UdpPublishedPort.class);

    private final BackendPool pool;
    private final ProxyCounters counters = new ProxyCounters();
    private final Consumer<PublishedPort> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once by {@link #bind} before the port is handed out. */
    private volatile Channel listener;

    private UdpPublishedPort(BackendPool pool, Consumer<PublishedPort> onClose) {
        this.pool = pool;
        this.onClose = onClose;
    }

    static UdpPublishedPort bind(EventLoopGroup group, InetSocketAddress listenAddress, BackendPool pool,
                                 ProxyOptions options, Consumer<PublishedPort> onClose) throws PortInUseException {
        UdpPublishedPort port = new UdpPublishedPort(pool, onClose);
        ChannelFuture bound = new Bootstrap()
                .group(group)
                .channel(EpollDatagramChannel.class)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(options.maxDatagramBytes()))
                .handler(UdpFrontendHandler.forPool(pool, options, port.counters))
                .bind(listenAddress)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw IngressRouter.bindFailure(listenAddress.getPort(), Protocol.UDP, bound.cause());
        }
        port.listener = bound.channel();
        log.info("published {}/udp on {}", port.port(), port.listener.localAddress());
        return port;
    }

    @Override
    public int port() {
        return localAddress().getPort();
    }

    @Override
    public Protocol protocol() {
        return Protocol.UDP;
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

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Channel ch = listener;
        int port = port();
        ChannelFuture done = ch.close();
        if (!ch.eventLoop().inEventLoop()) {
            done.awaitUninterruptibly();
        }
        onClose.accept(this);
        log.info("unpublished {}/udp", port);
    }

    @Override
    public String toString() {
        return "UdpPublishedPort{" + listener.localAddress() + " -> " + pool.backends() + "}";
    }
}
