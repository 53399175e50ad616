package dev.flotilla.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays what its channel reads to the peer channel: one instance on the client side, one on the
 * backend side of every proxied connection. Both channels live on the same event loop, so nothing
 * here needs a lock.
 *
 * <p>Backpressure: the channel reads (AUTO_READ is off) only while the peer is writable; when the
 * peer's outbound buffer passes its high water mark, reading stops until the peer's
 * {@link #channelWritabilityChanged} resumes it. Memory per connection is thereby bounded by the
 * write-buffer water marks (the high mark plus one read per direction, see
 * {@link ProxyOptions#relayBufferBytes()}), and no promise or listener is allocated per read.
 *
 * <p>Half-close: an end of stream on this channel becomes a FIN on the peer once everything read
 * before it has been written; the connection closes when both directions have ended.
 */
final class TcpRelayHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TcpRelayHandler.class);

    private final Channel peer;
    private final LongAdder bytesRelayed;

    TcpRelayHandler(Channel peer, LongAdder bytesRelayed) {
        this.peer = peer;
        this.bytesRelayed = bytesRelayed;
    }

    /** Takes ownership of {@code msg}: it is handed to {@code peer.write}, which releases it once written or failed. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf buf) {
            bytesRelayed.add(buf.readableBytes());
        }
        // A failed write fires exceptionCaught on the peer's pipeline, which closes both channels.
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        peer.flush();
        if (peer.isWritable()) {
            ctx.read();
        }
    }

    /** This channel drained below its low water mark: the peer, which feeds it, may read again. */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            forwardEndOfStream(ctx.channel());
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Sends a FIN to the peer after every byte already queued for it: {@code shutdownOutput()} alone
     * would fail the writes still queued. Closes both channels when the other direction has ended too.
     */
    void forwardEndOfStream(Channel self) {
        if (!peer.isActive() || ((DuplexChannel) peer).isOutputShutdown()) {
            // Nothing more can reach the peer: writing would only raise (and build) an exception.
            closeBoth(self);
            return;
        }
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) written -> {
            if (!written.isSuccess()) {
                closeBoth(self);
                return;
            }
            ((DuplexChannel) peer).shutdownOutput().addListener((ChannelFutureListener) shut -> {
                if (!shut.isSuccess() || ((DuplexChannel) self).isOutputShutdown()) {
                    closeBoth(self);
                }
            });
        });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closeAfterFlush(peer);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("closing {} <-> {}: {}", ctx.channel().remoteAddress(), peer.remoteAddress(), cause.toString());
        }
        ctx.close();
    }

    private void closeBoth(Channel self) {
        self.close();
        peer.close();
    }

    /** Closes {@code channel} once what was already written to it has gone out. */
    static void closeAfterFlush(Channel channel) {
        if (channel.isActive()) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }
}
