package dev.flotilla.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a flow's upstream socket: sends the backend's replies to the flow's client from the published
 * port. Registered on the published port's event loop, like the flow and its table.
 */
final class UdpReplyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpReplyHandler.class);

    private final UdpFlow flow;
    private final Channel listener;
    private final UdpFrontendHandler table;
    private final LongAdder bytesToClients;

    UdpReplyHandler(UdpFlow flow, Channel listener, UdpFrontendHandler table, LongAdder bytesToClients) {
        this.flow = flow;
        this.listener = listener;
        this.table = table;
        this.bytesToClients = bytesToClients;
    }

    /** Takes ownership of {@code msg}: its content goes to {@code listener.write}, which releases it once sent. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
        flow.lastActiveNanos = System.nanoTime();
        bytesToClients.add(content.readableBytes());
        listener.write(new DatagramPacket(content, flow.client), listener.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        listener.flush();
    }

    /** The backend went away (ICMP port unreachable, for one): forget the flow so the client's next datagram opens another. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (log.isDebugEnabled()) {
            log.debug("udp flow {} failed: {}", flow, cause.toString());
        }
        table.closeFlow(flow);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        table.closeFlow(flow);
        ctx.fireChannelInactive();
    }
}
