package dev.flotilla.dns;

import dev.flotilla.dataplane.NetnsEventLoops;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards queries to up to three upstream resolvers, one after the other: each gets
 * {@link DnsServerOptions#upstreamTimeout()}; a timeout, a send or connect error, SERVFAIL or
 * REFUSED moves on to the next; when all failed the callback hears {@code onFailure}.
 *
 * <p><b>Threads and namespaces.</b> Everything here runs on one event loop of the group given to
 * {@link #start}, an epoll group in the daemon's namespace: the shared UDP socket is bound from that
 * loop and the per-query TCP connections are opened from it, so they live where the host's
 * resolvers are reachable, not in a sandbox that may have no route. Sandbox handlers call
 * {@link #forward} from their own loops; it hands the query over with {@code execute}, and the
 * callback runs on this loop (it writes to the client channel, which Netty hands back to that
 * channel's loop). No locks: the pending table and each {@link Pending} are confined to
 * {@link #loop}.
 *
 * <p><b>Ids.</b> Each forwarded query gets a fresh random id unused among those in flight, so
 * clients (all sandboxes share this socket) cannot collide, and an answer is accepted only from the
 * upstream currently asked, with that id, QR set and the same question. The client's id is
 * restored by the callback.
 */
final class UpstreamForwarder implements DnsForwarder {

    private static final Logger log = LoggerFactory.getLogger(UpstreamForwarder.class);
    static final int MAX_UPSTREAMS = ResolvConf.MAX_NAMESERVERS;

    private final List<InetSocketAddress> upstreams;
    private final long timeoutNanos;
    private final int maxPending;
    private final int maxUdpPayload;
    private final DnsCounters counters;
    private final EventLoop loop;
    private final Bootstrap tcp;
    /** Only touched on {@link #loop}. */
    private final IntObjectMap<Pending> pending = new IntObjectHashMap<>();
    /** Set once in {@link #start} before the forwarder is handed out; read-only afterwards. */
    private Channel udp;

    private UpstreamForwarder(List<InetSocketAddress> upstreams, DnsServerOptions options, DnsCounters counters,
                              EventLoop loop) {
        this.upstreams = List.copyOf(upstreams);
        this.timeoutNanos = options.upstreamTimeout().toNanos();
        this.maxPending = options.maxPendingForwards();
        this.maxUdpPayload = options.maxUdpPayload();
        this.counters = counters;
        this.loop = loop;
        this.tcp = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, options.upstreamTimeout().toMillis()));
    }

    /**
     * Binds the forwarder's UDP socket (ephemeral port, all addresses) on one loop of {@code group}
     * and returns once it is bound. With no upstreams nothing is bound and every query fails.
     *
     * @param group an epoll group whose threads are in the namespace upstreams are reachable from
     * @param upstreams at most {@value #MAX_UPSTREAMS}, asked in this order
     */
    static UpstreamForwarder start(EventLoopGroup group, List<InetSocketAddress> upstreams, DnsServerOptions options,
                                   DnsCounters counters) {
        if (upstreams.size() > MAX_UPSTREAMS) {
            throw new IllegalArgumentException("at most " + MAX_UPSTREAMS + " upstream resolvers, not " + upstreams);
        }
        UpstreamForwarder forwarder = new UpstreamForwarder(upstreams, options, counters, group.next());
        if (upstreams.isEmpty()) {
            log.warn("no upstream DNS resolvers: names outside the record table will get SERVFAIL");
            return forwarder;
        }
        Bootstrap bootstrap = new Bootstrap().group(forwarder.loop).channel(EpollDatagramChannel.class)
                .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(options.maxUdpPayload()))
                .handler(forwarder.new UdpResponseHandler());
        Future<Channel> bound = NetnsEventLoops.bindOnLoop(forwarder.loop, bootstrap, new InetSocketAddress(0))
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("cannot bind the DNS forwarder's UDP socket: " + bound.cause().getMessage(),
                    bound.cause());
        }
        forwarder.udp = bound.getNow();
        log.info("DNS forwarder on {} asks {} with {} ms per upstream", forwarder.udp.localAddress(), upstreams,
                TimeUnit.NANOSECONDS.toMillis(forwarder.timeoutNanos));
        return forwarder;
    }

    List<InetSocketAddress> upstreams() {
        return upstreams;
    }

    @Override
    public void forward(ByteBuf query, boolean overTcp, Callback callback) {
        if (upstreams.isEmpty()) {
            query.release();
            callback.onFailure();
            return;
        }
        try {
            loop.execute(() -> begin(query, overTcp, callback));
        } catch (RejectedExecutionException shuttingDown) {
            query.release();
            callback.onFailure();
        }
    }

    /** Fails every query in flight and closes the UDP socket. */
    @Override
    public void close() {
        if (udp == null) {
            return;
        }
        try {
            loop.submit(() -> {
                for (Pending p : new ArrayList<>(pending.values())) {
                    finish(p, null);
                }
                udp.close();
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException alreadyDown) {
            udp.close();
        }
    }

    private void begin(ByteBuf query, boolean overTcp, Callback callback) {
        int questionEnd = DnsWire.questionEnd(query, query.readerIndex());
        if (pending.size() >= maxPending || questionEnd < 0) {
            query.release();
            callback.onFailure();
            return;
        }
        int id;
        do {
            id = ThreadLocalRandom.current().nextInt(0x10000);
        } while (pending.containsKey(id));
        query.setShort(query.readerIndex(), id);
        Pending p = new Pending(id, query, questionEnd, overTcp, callback);
        pending.put(id, p);
        attempt(p);
    }

    private void attempt(Pending p) {
        if (p.upstream >= upstreams.size()) {
            finish(p, null);
            return;
        }
        int attempt = ++p.attempt;
        InetSocketAddress target = upstreams.get(p.upstream);
        p.timeout = loop.schedule(() -> attemptFailed(p, attempt), timeoutNanos, TimeUnit.NANOSECONDS);
        if (p.overTcp) {
            p.connection = tcp.clone().handler(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(TcpDnsQueryFrameDecoder.newFramer(), new TcpResponseHandler(p, attempt));
                }
            }).connect(target).addListener((ChannelFutureListener) connected -> {
                if (!connected.isSuccess()) {
                    attemptFailed(p, attempt);
                    return;
                }
                ByteBuf framed = connected.channel().alloc().buffer(2 + p.query.readableBytes());
                framed.writeShort(p.query.readableBytes()).writeBytes(p.query, p.query.readerIndex(),
                        p.query.readableBytes());
                connected.channel().writeAndFlush(framed).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            }).channel();
        } else {
            udp.writeAndFlush(new DatagramPacket(p.query.retainedDuplicate(), target)).addListener((ChannelFutureListener) sent -> {
                if (!sent.isSuccess()) {
                    attemptFailed(p, attempt);
                }
            });
        }
    }

    private void attemptFailed(Pending p, int attempt) {
        if (p.done || p.attempt != attempt) {
            return; // a late timeout or close of an attempt already superseded
        }
        p.attempt++; // stale callbacks of this attempt (the close below) are ignored from here on
        counters.upstreamFailures.increment();
        endAttempt(p);
        p.upstream++;
        attempt(p);
    }

    /**
     * An upstream's answer to {@code p}'s current attempt.
     *
     * @param response borrowed: retained only if passed on
     */
    private void answered(Pending p, ByteBuf response) {
        int rcode = response.getUnsignedShort(response.readerIndex() + 2) & 0xf;
        if (rcode == DnsWire.RCODE_SERVFAIL || rcode == DnsWire.RCODE_REFUSED) {
            attemptFailed(p, p.attempt);
        } else {
            finish(p, response.retain());
        }
    }

    /** Completes {@code p}: hands {@code responseOrNull} (owned) to the callback, or reports failure. */
    private void finish(Pending p, ByteBuf responseOrNull) {
        p.done = true;
        endAttempt(p);
        pending.remove(p.id);
        p.query.release();
        if (responseOrNull != null) {
            p.callback.onResponse(responseOrNull);
        } else {
            p.callback.onFailure();
        }
    }

    private static void endAttempt(Pending p) {
        if (p.timeout != null) {
            p.timeout.cancel(false);
            p.timeout = null;
        }
        if (p.connection != null) {
            p.connection.close();
            p.connection = null;
        }
    }

    /** {@code true} when {@code response} answers {@code p}: QR set, same question. */
    private static boolean matches(Pending p, ByteBuf response) {
        if (response.readableBytes() < DnsWire.HEADER_LENGTH) {
            return false;
        }
        int flags = response.getUnsignedShort(response.readerIndex() + 2);
        if ((flags & DnsWire.FLAG_QR) == 0) {
            return false;
        }
        // Some servers drop the question from error answers; those may pass (an error moves on or
        // is relayed as is), an answer with records may not.
        boolean errorWithoutQuestion = (flags & 0xf) != 0 && response.getUnsignedShort(response.readerIndex() + 4) == 0;
        return errorWithoutQuestion || DnsWire.sameQuestion(p.query, p.questionEnd, response);
    }

    /** One forwarded query. Confined to {@link #loop}. */
    private static final class Pending {
        final int id;
        /** Owned until {@link #finish}. */
        final ByteBuf query;
        final int questionEnd;
        final boolean overTcp;
        final Callback callback;
        int upstream;
        int attempt;
        boolean done;
        ScheduledFuture<?> timeout;
        Channel connection;

        Pending(int id, ByteBuf query, int questionEnd, boolean overTcp, Callback callback) {
            this.id = id;
            this.query = query;
            this.questionEnd = questionEnd;
            this.overTcp = overTcp;
            this.callback = callback;
        }
    }

    /** Answers arriving on the shared UDP socket. Runs on {@link #loop}. */
    private final class UdpResponseHandler extends SimpleChannelInboundHandler<DatagramPacket> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            ByteBuf response = packet.content();
            Pending p = response.readableBytes() < DnsWire.HEADER_LENGTH
                    ? null : pending.get(response.getUnsignedShort(response.readerIndex()));
            if (p == null || p.overTcp || !upstreams.get(p.upstream).equals(packet.sender()) || !matches(p, response)) {
                counters.upstreamStrays.increment();
                return;
            }
            answered(p, response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP errors surface here on some kernels; the attempt's timeout moves the query on.
            counters.upstreamFailures.increment();
        }
    }

    /** One TCP connection to an upstream, for one attempt. Runs on {@link #loop}. */
    private final class TcpResponseHandler extends SimpleChannelInboundHandler<ByteBuf> {

        private final Pending p;
        private final int attempt;

        TcpResponseHandler(Pending p, int attempt) {
            this.p = p;
            this.attempt = attempt;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (p.done || p.attempt != attempt) {
                return;
            }
            if (frame.readableBytes() < DnsWire.HEADER_LENGTH || frame.getUnsignedShort(frame.readerIndex()) != p.id
                    || !matches(p, frame)) {
                counters.upstreamStrays.increment();
                attemptFailed(p, attempt);
                return;
            }
            answered(p, frame);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            attemptFailed(p, attempt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
