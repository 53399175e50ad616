package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Decodes one DNS-over-TCP frame (the length prefix already stripped by a
 * {@link #newFramer() LengthFieldBasedFrameDecoder}) into a {@link DnsQuery}, with the same
 * FORMERR-on-a-readable-header rule as UDP.
 *
 * <p>Why not {@link TcpDnsQueryDecoder}: it is final and throws on a malformed frame after the
 * bytes are gone, so the handler could not answer FORMERR with the client's id. We frame exactly
 * as it does and parse through {@link TolerantDatagramDnsQueryDecoder}; the datagram addresses
 * are placeholders (TCP answers go back on the connection). Stateless, hence sharable.
 *
 * <p>Buffers: the frame belongs to {@code MessageToMessageDecoder}, which releases it after
 * {@link #decode}; the wrapping packet is a view that is not released separately.
 */
@Sharable
final class TcpDnsQueryFrameDecoder extends MessageToMessageDecoder<ByteBuf> {

    /** A DNS message over TCP is at most 65535 bytes (RFC 1035 4.2.2). */
    static final int MAX_TCP_MESSAGE = 65_535;
    private static final InetSocketAddress PLACEHOLDER = new InetSocketAddress(0);

    private final TolerantDatagramDnsQueryDecoder parser;

    TcpDnsQueryFrameDecoder(TolerantDatagramDnsQueryDecoder parser) {
        super(ByteBuf.class);
        this.parser = parser;
    }

    /** The framer to put before this decoder: a 2-byte length prefix, stripped. One per channel. */
    static LengthFieldBasedFrameDecoder newFramer() {
        return new LengthFieldBasedFrameDecoder(MAX_TCP_MESSAGE + 2, 0, 2, 0, 2);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws Exception {
        parser.decode(ctx, new DatagramPacket(frame, PLACEHOLDER, PLACEHOLDER), out);
    }
}
