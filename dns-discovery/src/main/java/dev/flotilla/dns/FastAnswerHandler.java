package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The common case without the codec: a plain UDP query (one question, class IN, type A, no EDNS,
 * nothing else) for a name of the sandbox's table with addresses is answered straight from the
 * datagram's bytes into one pooled buffer. Everything else (other types, EDNS, unknown names,
 * anything odd) goes on untouched to the codec and {@link DnsQueryHandler}, which also answers
 * these queries identically, only slower: same flags (QR, AA, RA, the query's RD), the question
 * echoed, the same rotation of addresses, the same TTL and counters.
 */
final class FastAnswerHandler extends ChannelInboundHandlerAdapter {

    private static final int HEADER = DnsWire.HEADER_LENGTH;
    private static final int CLASSIC_UDP_LIMIT = 512;
    private static final int A_ANSWER = 16; // name pointer 2, type 2, class 2, ttl 4, length 2, address 4

    private final EmbeddedDnsServer server;
    private final SandboxScope scope;
    private final DnsCounters counters;

    FastAnswerHandler(EmbeddedDnsServer server, SandboxScope scope) {
        this.server = server;
        this.scope = scope;
        this.counters = server.counters();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DatagramPacket packet && answer(ctx, packet)) {
            packet.release();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** Sends the answers of the whole read at once (one {@code sendmmsg} for several). */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }

    /** Writes the answer and returns true, or returns false having read nothing (the codec takes it). */
    private boolean answer(ChannelHandlerContext ctx, DatagramPacket packet) {
        ByteBuf q = packet.content();
        int base = q.readerIndex();
        int length = q.readableBytes();
        if (length < HEADER + 5) {
            return false;
        }
        int flags = q.getUnsignedShort(base + 2);
        // QR=0, opcode QUERY, no TC; one question and nothing else (no EDNS OPT).
        if ((flags & 0xfa00) != 0 || q.getUnsignedShort(base + 4) != 1 || q.getInt(base + 6) != 0
                || q.getUnsignedShort(base + 10) != 0) {
            return false;
        }
        StringBuilder name = new StringBuilder(64);
        int i = base + HEADER;
        int end = base + length;
        while (true) {
            if (i >= end) {
                return false;
            }
            int label = q.getUnsignedByte(i++);
            if (label == 0) {
                break;
            }
            if (label > 63 || i + label > end || name.length() + label + 1 > 253) {
                return false;
            }
            for (int j = 0; j < label; j++) {
                int c = q.getUnsignedByte(i + j);
                boolean plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                } else if (!plain) {
                    return false;
                }
                name.append((char) c);
            }
            name.append('.');
            i += label;
        }
        // QTYPE A, QCLASS IN, and the datagram ends there.
        if (i + 4 != end || q.getInt(i) != 0x00010001 || name.length() == 0) {
            return false;
        }
        name.setLength(name.length() - 1);
        NameRecords records = server.table().lookupKey(scope, name.toString());
        if (records == null) {
            return false;
        }
        List<Ipv4Address> addresses = records.addresses();
        int n = addresses.size();
        int questionLength = end - (base + HEADER);
        if (n == 0 || HEADER + questionLength + n * A_ANSWER > CLASSIC_UDP_LIMIT) {
            return false;
        }
        counters.queries.increment();
        ByteBuf r = ctx.alloc().ioBuffer(HEADER + questionLength + n * A_ANSWER);
        r.writeShort(q.getUnsignedShort(base));
        // QR, AA, the query's RD; RA (we recurse by forwarding); NOERROR.
        r.writeShort(0x8480 | (flags & 0x0100));
        r.writeShort(1);
        r.writeShort(n);
        r.writeInt(0);
        r.writeBytes(q, base + HEADER, questionLength);
        long ttl = server.options().ttlSeconds();
        // Start at a random record: round robin for dnsrr and tasks.* without per-query state.
        int first = n > 1 ? ThreadLocalRandom.current().nextInt(n) : 0;
        for (int k = 0; k < n; k++) {
            r.writeShort(0xc000 | HEADER);
            r.writeInt(0x00010001);
            r.writeInt((int) ttl);
            r.writeShort(4);
            r.writeInt(addresses.get((first + k) % n).value());
        }
        counters.answeredLocally.increment();
        ctx.write(new DatagramPacket(r, packet.sender(), packet.recipient()), ctx.voidPromise());
        return true;
    }
}
