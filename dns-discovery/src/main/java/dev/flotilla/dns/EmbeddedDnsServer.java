package dev.flotilla.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded DNS server: one per daemon, serving every sandbox. It holds the current
 * {@link RecordTable} (swapped whole by {@link #publish}), the counters, the codecs (all
 * sharable) and the {@link UpstreamForwarder}; {@link SandboxDnsListeners} gives each sandbox its
 * 127.0.0.11:53 sockets, whose pipelines {@link #initUdp}/{@link #initTcp} build with a handler
 * bound to the sandbox's {@link SandboxScope}. Thread-safe.
 *
 * <p>Pipelines. UDP: {@link FastAnswerHandler} -> {@link TolerantDatagramDnsQueryDecoder} ->
 * {@link RelayingDatagramDnsResponseEncoder} -> {@link DnsQueryHandler}, reading and answering in
 * batches (see {@link #udpOptions}). TCP (per connection): {@code LengthFieldBasedFrameDecoder} ->
 * {@link TcpDnsQueryFrameDecoder} -> {@link TcpDnsResponseEncoder} -> {@link DnsQueryHandler}, with
 * an idle cut so a sandbox cannot pin daemon file descriptors.
 */
public final class EmbeddedDnsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDnsServer.class);
    /** RFC 7766 asks servers to close idle TCP clients; clients reconnect when they need to. */
    static final int TCP_IDLE_SECONDS = 10;
    /**
     * The buffer one {@code recvmmsg} fills: as many slots of {@link DnsServerOptions#maxUdpPayload}
     * as fit (16 at the default 4096, one at the largest payloads, which then read one datagram per
     * call). Busy clients keep tens of queries in flight; this takes most of such a burst in one call.
     */
    static final int UDP_READ_BUFFER_BYTES = 64 * 1024;
    /** Datagrams read per readiness event before the loop turns to other channels and tasks. */
    static final int UDP_READS_PER_WAKEUP = 64;

    private final DnsServerOptions options;
    private final DnsCounters counters;
    private final DnsForwarder forwarder;
    private final TolerantDatagramDnsQueryDecoder udpDecoder;
    private final TcpDnsQueryFrameDecoder tcpDecoder;
    private final RelayingDatagramDnsResponseEncoder udpEncoder = new RelayingDatagramDnsResponseEncoder();
    private final TcpDnsResponseEncoder tcpEncoder = new TcpDnsResponseEncoder();
    /** Written by {@link #publish} from any thread, read by every query: one volatile read per query. */
    private volatile RecordTable table = RecordTable.EMPTY;

    EmbeddedDnsServer(DnsServerOptions options, DnsCounters counters, DnsForwarder forwarder) {
        this.options = Objects.requireNonNull(options, "options");
        this.counters = counters;
        this.forwarder = forwarder;
        this.udpDecoder = new TolerantDatagramDnsQueryDecoder(counters);
        this.tcpDecoder = new TcpDnsQueryFrameDecoder(udpDecoder);
    }

    /**
     * Starts the server's forwarder on {@code forwarderGroup} and returns the server, with an empty
     * table and no listeners yet.
     *
     * @param forwarderGroup an epoll group whose threads are in the daemon's namespace (where the
     *     upstreams are reachable); owned by the caller
     * @param upstreams at most three, e.g. {@link ResolvConf#upstreams}; none means SERVFAIL for
     *     every name outside the table
     */
    public static EmbeddedDnsServer start(DnsServerOptions options, EventLoopGroup forwarderGroup,
                                          List<InetSocketAddress> upstreams) {
        DnsCounters counters = new DnsCounters();
        UpstreamForwarder forwarder = UpstreamForwarder.start(forwarderGroup, upstreams, options, counters);
        log.info("embedded DNS: ttl {}s, max UDP payload {}, upstreams {}", options.ttlSeconds(),
                options.maxUdpPayload(), upstreams);
        return new EmbeddedDnsServer(options, counters, forwarder);
    }

    /** Makes {@code next} the table every following query is answered from. */
    public void publish(RecordTable next) {
        table = Objects.requireNonNull(next, "table");
    }

    public RecordTable table() {
        return table;
    }

    public DnsCounters counters() {
        return counters;
    }

    public DnsServerOptions options() {
        return options;
    }

    DnsForwarder forwarder() {
        return forwarder;
    }

    /** Adds the UDP codecs and a handler answering for {@code scope} to a datagram channel's pipeline. */
    public void initUdp(ChannelPipeline pipeline, SandboxScope scope) {
        pipeline.addLast(new FastAnswerHandler(this, scope), udpDecoder, udpEncoder, new DnsQueryHandler(this, scope, true));
    }

    /** Adds the TCP framing, codecs and a handler answering for {@code scope} to an accepted connection. */
    public void initTcp(ChannelPipeline pipeline, SandboxScope scope) {
        initTcp(pipeline, new DnsQueryHandler(this, scope, false));
    }

    private void initTcp(ChannelPipeline pipeline, DnsQueryHandler handler) {
        pipeline.addLast(new ReadTimeoutHandler(TCP_IDLE_SECONDS, TimeUnit.SECONDS), TcpDnsQueryFrameDecoder.newFramer(),
                tcpDecoder, tcpEncoder, handler);
    }

    /** A channel initializer for a sandbox's TCP connections; one handler shared by all of them. */
    ChannelInitializer<Channel> tcpChildInitializer(SandboxScope scope) {
        DnsQueryHandler handler = new DnsQueryHandler(this, scope, false);
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel child) {
                initTcp(child.pipeline(), handler);
            }
        };
    }

    /**
     * Settings every UDP listener gets: reads of several datagrams per {@code recvmmsg} (see
     * {@link #UDP_READ_BUFFER_BYTES}), each in a slot as large as the largest query we accept, and up to
     * {@link #UDP_READS_PER_WAKEUP} datagrams per readiness event. Answers written while reading are
     * flushed once when the read is complete, which netty sends with one {@code sendmmsg}.
     */
    Bootstrap udpOptions(Bootstrap bootstrap) {
        int slot = options.maxUdpPayload();
        FixedRecvByteBufAllocator allocator =
                new FixedRecvByteBufAllocator(slot * Math.max(1, UDP_READ_BUFFER_BYTES / slot));
        allocator.maxMessagesPerRead(UDP_READS_PER_WAKEUP);
        return bootstrap.option(ChannelOption.RECVBUF_ALLOCATOR, allocator)
                .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
    }

    /**
     * Binds a UDP listener for {@code scope} on {@code address} in the calling thread's namespace
     * (tests, or a daemon serving its own namespace). Blocks until bound.
     *
     * @param group an epoll group; owned by the caller
     */
    public Channel bindUdp(EventLoopGroup group, InetSocketAddress address, SandboxScope scope) {
        Bootstrap bootstrap = udpOptions(new Bootstrap().group(group).channel(EpollDatagramChannel.class))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        initUdp(ch.pipeline(), scope);
                    }
                });
        return bound(bootstrap.bind(address), address, "udp");
    }

    /** Binds a TCP listener for {@code scope} on {@code address}, as {@link #bindUdp}. */
    public Channel bindTcp(EventLoopGroup group, InetSocketAddress address, SandboxScope scope) {
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(tcpChildInitializer(scope));
        return bound(bootstrap.bind(address), address, "tcp");
    }

    private static Channel bound(ChannelFuture future, InetSocketAddress address, String protocol) {
        if (!future.awaitUninterruptibly().isSuccess()) {
            throw new IllegalStateException("cannot listen for DNS on " + address + "/" + protocol + ": "
                    + future.cause().getMessage(), future.cause());
        }
        return future.channel();
    }

    /** Stops the forwarder (queries in flight get SERVFAIL). Listeners are closed by their owners. */
    @Override
    public void close() {
        forwarder.close();
    }
}
