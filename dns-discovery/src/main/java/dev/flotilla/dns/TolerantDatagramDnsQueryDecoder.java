package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DnsOpCode;
import java.util.List;

/**
 * netty's {@link DatagramDnsQueryDecoder}, but a body it cannot parse still yields a query when the
 * 12-byte header is readable: one with the header's id, opcode and RD and no question, which
 * {@link DnsQueryHandler} answers FORMERR (as it answers any query without exactly one question).
 * Datagrams shorter than a header, and responses (QR set: answering them could start a loop), are
 * dropped and counted. Stateless, hence sharable.
 *
 * <p>Buffers: the packet belongs to {@code MessageToMessageDecoder}, which releases it after
 * {@link #decode}; a decoded query may retain slices of it (raw records such as OPT) and is
 * released by whoever consumes it.
 */
@Sharable
final class TolerantDatagramDnsQueryDecoder extends DatagramDnsQueryDecoder {

    static final int HEADER_LENGTH = 12;

    private final DnsCounters counters;

    TolerantDatagramDnsQueryDecoder(DnsCounters counters) {
        this.counters = counters;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) throws Exception {
        ByteBuf content = packet.content();
        int start = content.readerIndex();
        if (content.readableBytes() < HEADER_LENGTH || (content.getByte(start + 2) & 0x80) != 0) {
            counters.drops.increment();
            return;
        }
        try {
            super.decode(ctx, packet, out);
        } catch (Exception malformed) {
            // netty throws CorruptedFrameException, IndexOutOfBoundsException or (from IDN)
            // IllegalArgumentException here; all mean the same to the client: FORMERR.
            out.add(headerOnly(packet, start));
        }
    }

    private static DatagramDnsQuery headerOnly(DatagramPacket packet, int start) {
        ByteBuf content = packet.content();
        int flags = content.getUnsignedShort(start + 2);
        DatagramDnsQuery query = new DatagramDnsQuery(packet.sender(), packet.recipient(),
                content.getUnsignedShort(start), DnsOpCode.valueOf(flags >> 11 & 0xf));
        query.setRecursionDesired((flags & 0x100) != 0);
        return query;
    }
}
