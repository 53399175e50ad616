package dev.flotilla.ingress;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connects a newly accepted client to a backend, then replaces itself with a {@link TcpRelayHandler}.
 * Serves published ports and VIPs alike.
 *
 * <p>The backend channel is registered on the client's event loop, so the two channels of a
 * connection never need a lock. A connect that fails (refused, timed out, unreachable) moves on to
 * the pool's next candidate; when none is left the client is closed.
 */
final class TcpFrontendHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpFrontendHandler.class);
    private static final String RELAY = "relay";

    private final BackendPool pool;
    private final Bootstrap upstreamTemplate;
    private final ProxyCounters counters;
    /** The port to connect to on the chosen backend, or 0 for the backend's own port. */
    private final int targetPort;

    // No volatile: the fields below are only touched on the client channel's event loop.
    private BackendPool.Candidates candidates;
    private Channel connecting;
    /**
     * Bytes the kernel handed over before a backend was connected (epoll reads pending data when the
     * client half-closes, even with AUTO_READ off). Owned here until written to the backend or released.
     */
    private ArrayDeque<Object> early;
    private boolean clientEnded;

    TcpFrontendHandler(BackendPool pool, Bootstrap upstreamTemplate, ProxyCounters counters) {
        this(pool, upstreamTemplate, counters, 0);
    }

    /**
     * @param targetPort the port to connect to on every backend (a VIP connects to the port the
     *                   client asked for), or 0 for each backend's own port (a published port)
     */
    TcpFrontendHandler(BackendPool pool, Bootstrap upstreamTemplate, ProxyCounters counters, int targetPort) {
        this.pool = pool;
        this.upstreamTemplate = upstreamTemplate;
        this.counters = counters;
        this.targetPort = targetPort;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        counters.connectionsAccepted.increment();
        candidates = pool.candidates();
        connectNext(ctx);
        ctx.fireChannelActive();
    }

    private void connectNext(ChannelHandlerContext ctx) {
        Backend backend = candidates.next();
        if (backend == null) {
            counters.connectionsFailed.increment();
            log.debug("no backend could take {} on {}", ctx.channel().remoteAddress(), ctx.channel().localAddress());
            ctx.close();
            return;
        }
        Channel client = ctx.channel();
        ChannelFuture connect = upstreamTemplate.clone(client.eventLoop())
                .handler(new TcpRelayHandler(client, counters.bytesToClients))
                .connect(targetPort == 0 ? backend.address()
                        : new InetSocketAddress(backend.address().getAddress(), targetPort));
        connecting = connect.channel();
        connect.addListener((ChannelFutureListener) f -> onConnectDone(ctx, backend, f));
    }

    private void onConnectDone(ChannelHandlerContext ctx, Backend backend, ChannelFuture connect) {
        Channel upstream = connect.channel();
        if (!ctx.channel().isActive()) {
            upstream.close();
            return;
        }
        if (!connect.isSuccess()) {
            Throwable cause = connect.cause();
            boolean refused = cause instanceof ConnectException && !(cause instanceof ConnectTimeoutException);
            (refused ? counters.backendConnectsRefused : counters.backendConnectsFailed).increment();
            if (log.isDebugEnabled()) {
                log.debug("backend {} failed for {}: {}; trying the next", backend, ctx.channel().remoteAddress(),
                        cause.toString());
            }
            connectNext(ctx);
            return;
        }
        connecting = null;
        if (log.isDebugEnabled()) {
            log.debug("{} -> {} via {}", ctx.channel().remoteAddress(), backend, upstream.localAddress());
        }
        writeEarly(upstream);
        TcpRelayHandler relay = new TcpRelayHandler(upstream, counters.bytesToBackends);
        ctx.pipeline().replace(this, RELAY, relay);
        if (clientEnded) {
            relay.forwardEndOfStream(ctx.channel());
        } else {
            ctx.channel().read();
        }
        upstream.read();
    }

    /** Hands what the client sent before the connect to the backend, which releases it once written. */
    private void writeEarly(Channel upstream) {
        if (early == null) {
            return;
        }
        for (Object msg; (msg = early.poll()) != null; ) {
            if (msg instanceof ByteBuf buf) {
                counters.bytesToBackends.add(buf.readableBytes());
            }
            upstream.write(msg, upstream.voidPromise());
        }
        early = null;
        upstream.flush();
    }

    /** Takes ownership of {@code msg}: kept until a backend is connected, released if none is. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (early == null) {
            early = new ArrayDeque<>(4);
        }
        early.add(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            clientEnded = true;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (connecting != null) {
            connecting.close();
        }
        releaseEarly();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseEarly();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("closing {} before it reached a backend: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }

    private void releaseEarly() {
        if (early != null) {
            for (Object msg; (msg = early.poll()) != null; ) {
                ReferenceCountUtil.release(msg);
            }
            early = null;
        }
    }
}
