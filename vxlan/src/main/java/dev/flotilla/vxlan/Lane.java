package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.SegmentedDatagramPacket;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Errors;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event loop's share of a {@link Vtep}: a UDP socket on the VXLAN port (several lanes share
 * the port with {@code SO_REUSEPORT}), a few send-only sockets on ephemeral ports (the outer
 * source port follows the inner flow), the receive coalescer, and the TAPs whose frames leave
 * through them. Everything a lane owns is confined to its loop, so the transmit path takes no
 * lock and crosses no thread.
 */
final class Lane extends ChannelInboundHandlerAdapter implements UdpBind {

    private static final Logger logger = LoggerFactory.getLogger(Lane.class);

    private final IoEventLoop loop;
    private final VtepProtocol protocol;
    private final VtepCounters counters;

    /** Set once, on the loop, before the socket reads anything; published by the bind's future. */
    private Channel channel;
    /**
     * The sockets datagrams leave from, picked by {@link FlowHash}: {@link #channel} (port 4789)
     * and the extra send sockets on ephemeral ports. Set on the loop before any TAP is attached.
     */
    private volatile Channel[] senders = new Channel[0];
    /** Bit i: {@code senders[i]} has writes to flush. Only touched on the loop. */
    private long dirty;
    /** Receive offload: merges decapsulated TCP segments per read. Only touched on the loop. */
    private final TcpCoalescer rx;
    /**
     * Send GSO batches as one {@code sendmsg} with {@code UDP_SEGMENT}. Turned off for good after
     * {@link #GSO_FAILURES_BEFORE_FALLBACK} batches in a row fail with an error GSO itself causes
     * (an egress MTU below the configured underlay MTU, an IPsec policy on the route): the kernel
     * does not fragment GSO batches, so bulk TCP would stall where single datagrams still pass,
     * fragmented. Loop only.
     */
    private boolean udpGso;
    private int gsoFailures;
    private final ChannelFutureListener gsoResult = this::gsoSent;
    /** TAPs registered on this loop. Only touched on the loop. */
    private final List<TapPort> ports = new ArrayList<>();

    Lane(IoEventLoop loop, VtepProtocol protocol, ByteBufAllocator alloc, boolean offload) {
        this.loop = loop;
        this.protocol = protocol;
        this.counters = protocol.counters();
        this.rx = offload ? new TcpCoalescer(alloc, counters) : null;
        this.udpGso = offload && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    IoEventLoop loop() {
        return loop;
    }

    Channel channel() {
        return channel;
    }

    UdpBind udp() {
        return this;
    }

    /** Loop only. */
    void add(TapPort port) {
        ports.add(port);
    }

    /** Loop only. */
    void remove(TapPort port) {
        ports.remove(port);
    }

    /** Loop only, before any TAP is attached: the send sockets, {@link #channel} first. */
    void senders(List<Channel> all) {
        if (all.isEmpty() || all.size() > 64 || all.get(0) != channel) {
            throw new IllegalArgumentException("1..64 senders, the bound socket first: " + all);
        }
        senders = all.toArray(new Channel[0]);
    }

    /** The extra send sockets (not {@link #channel}); for closing. */
    List<Channel> extraSenders() {
        return senders.length <= 1 ? List.of() : List.of(senders).subList(1, senders.length);
    }

    // --- UdpBind: called from TapPort on this loop ---

    /** Takes ownership of {@code payload}: Netty releases it once written or failed. */
    @Override
    public void send(ByteBuf payload, InetSocketAddress recipient) {
        // The void promise reports failures to exceptionCaught, where they are counted.
        channel.write(new DatagramPacket(payload, recipient), channel.voidPromise());
        dirty |= 1;
    }

    @Override
    public void send(ByteBuf payload, InetSocketAddress recipient, int flowHash) {
        Channel sender = sender(flowHash);
        sender.write(new DatagramPacket(payload, recipient), sender.voidPromise());
    }

    /** Takes ownership of {@code payload}: one {@code sendmsg} with {@code UDP_SEGMENT} when supported. */
    @Override
    public void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient) {
        sendSegmented(payload, segmentSize, recipient, 0);
    }

    @Override
    public void sendSegmented(ByteBuf payload, int segmentSize, InetSocketAddress recipient, int flowHash) {
        if (udpGso) {
            Channel sender = sender(flowHash);
            sender.write(new SegmentedDatagramPacket(payload, segmentSize, recipient)).addListener(gsoResult);
        } else {
            try {
                while (payload.isReadable()) {
                    send(payload.readRetainedSlice(Math.min(segmentSize, payload.readableBytes())), recipient, flowHash);
                }
            } finally {
                payload.release();
            }
        }
    }

    static final int GSO_FAILURES_BEFORE_FALLBACK = 3;
    private static final int EIO = 5;
    private static final int EINVAL = 22;
    private static final int EMSGSIZE = 90;

    /** Loop only: the outcome of one UDP GSO batch. */
    private void gsoSent(ChannelFuture future) {
        if (future.isSuccess()) {
            gsoFailures = 0;
            return;
        }
        counters.udpSendError();
        Throwable cause = future.cause();
        boolean gsoError = cause instanceof Errors.NativeIoException e
                && (e.expectedErr() == -EINVAL || e.expectedErr() == -EIO || e.expectedErr() == -EMSGSIZE);
        if (gsoError && ++gsoFailures >= GSO_FAILURES_BEFORE_FALLBACK && udpGso) {
            udpGso = false;
            logger.warn("VXLAN socket {}: UDP GSO sends keep failing ({}); sending datagrams one by one from now on."
                    + " Is the underlay MTU below the configured one?", future.channel(), cause.toString());
        }
    }

    /** The socket for {@code flowHash}, marked for the next {@link #flush()}. */
    private Channel sender(int flowHash) {
        Channel[] all = senders;
        if (all.length <= 1) {
            dirty |= 1;
            return channel;
        }
        int i = (flowHash & 0x7fff_ffff) % all.length;
        dirty |= 1L << i;
        return all[i];
    }

    @Override
    public void flush() {
        long pending = dirty;
        dirty = 0;
        if (pending == 0 || senders.length <= 1) {
            channel.flush();
            return;
        }
        Channel[] all = senders;
        for (int i = 0; i < all.length; i++) {
            if ((pending & 1L << i) != 0) {
                all[i].flush();
            }
        }
    }

    /** {@code false} while any send socket is above its high-water mark. */
    @Override
    public boolean isWritable() {
        Channel[] all = senders;
        if (all.length <= 1) {
            return channel.isWritable();
        }
        for (Channel sender : all) {
            if (!sender.isWritable()) {
                return false;
            }
        }
        return true;
    }

    /** The pipeline handler of an extra send socket: drains stray input, relays writability and errors. */
    ChannelInboundHandlerAdapter senderHandler() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg); // nothing is sent to these ports; drop whatever comes
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                resumeIfWritable();
                ctx.fireChannelWritabilityChanged();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                Lane.this.exceptionCaught(ctx, cause);
            }
        };
    }

    private void resumeIfWritable() {
        if (isWritable()) {
            for (TapPort port : ports) {
                port.resume();
            }
        }
    }

    // --- inbound: the socket's pipeline, on this loop ---

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    /** Takes ownership of {@code msg} and releases it. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof DatagramPacket packet) {
                protocol.fromUdp(packet.content(), packet.sender(), rx);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The end of one read burst: write what the coalescer holds, so nothing waits for more. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (rx != null) {
            rx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (rx != null) {
            rx.release();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        resumeIfWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Per-datagram failures (unreachable VTEP, full buffers) arrive here: count, do not log each.
        counters.udpSendError();
        if (logger.isDebugEnabled()) {
            logger.debug("VXLAN socket {}: {}", ctx.channel(), cause.toString());
        }
    }
}
