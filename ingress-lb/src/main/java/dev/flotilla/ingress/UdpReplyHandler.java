package dev.flotilla.ingress;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a flow's upstream socket: sends the backend's replies to the flow's client through the flow's
 * reply channel (the published port's socket, or a VIP flow's transparent socket, so that replies
 * come from the address the client sent to). Registered on the table's event loop, like the flow.
 */
final class UdpReplyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(UdpReplyHandler.class);

    private final UdpFlow flow;
    private final UdpFrontendHandler table;

    UdpReplyHandler(UdpFlow flow, UdpFrontendHandler table) {
        this.flow = flow;
        this.table = table;
    }

    /** Takes ownership of {@code msg}: its content goes to the reply channel's write, which releases it once sent. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
        flow.lastActiveNanos = System.nanoTime();
        flow.counters.bytesToClients.add(content.readableBytes());
        Channel out = flow.replyChannel;
        if (flow.ownsReplyChannel) {
            out.write(content, out.voidPromise()); // connected to the client
        } else {
            out.write(new DatagramPacket(content, flow.client), out.voidPromise());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flow.replyChannel.flush();
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
