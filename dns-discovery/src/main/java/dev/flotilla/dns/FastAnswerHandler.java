package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The common cases without the codec: a UDP query with one question of class IN and type A, AAAA,
 * PTR or SRV, for a name of the sandbox's table, with nothing else but at most an EDNS0 OPT record,
 * is answered straight from the datagram's bytes into one pooled buffer. Everything else (other
 * types, unknown names, answers that do not fit the client's UDP size, anything odd) goes on
 * untouched to the codec and {@link DnsQueryHandler}, which answers these queries with the same
 * records, only slower: same flags (QR, AA, RA, the query's RD), the question echoed, the same
 * rotation of addresses, SRV glue, TTL, OPT record (advertising our UDP size) and counters. The
 * one difference is on the wire: here answer owners are compressed (a pointer to the question),
 * so an answer the codec would truncate (or give less SRV glue) can fit whole.
 */
final class FastAnswerHandler extends ChannelInboundHandlerAdapter {

    private static final int HEADER = DnsWire.HEADER_LENGTH;
    private static final int A = 1;
    private static final int PTR = 12;
    private static final int AAAA = 28;
    private static final int SRV = 33;
    private static final int OPT = 41;
    private static final int CLASS_IN = 1;
    /** An answer whose owner is the question's name: pointer 2, type 2, class 2, TTL 4, RDLENGTH 2. */
    private static final int POINTED_RR = 12;
    /** Fixed part of a record after its owner name: type, class, TTL, RDLENGTH. */
    private static final int RR_FIXED = 10;
    private static final int QUESTION_POINTER = 0xc000 | HEADER;

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
        int additional = q.getUnsignedShort(base + 10);
        // QR=0, opcode QUERY, no TC; one question, no answers or authority, at most one more record (OPT).
        if ((flags & 0xfa00) != 0 || q.getUnsignedShort(base + 4) != 1 || q.getInt(base + 6) != 0 || additional > 1) {
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
        if (i + 4 > end || name.length() == 0 || q.getUnsignedShort(i + 2) != CLASS_IN) {
            return false;
        }
        int type = q.getUnsignedShort(i);
        if (type != A && type != AAAA && type != PTR && type != SRV) {
            return false;
        }
        int questionEnd = i + 4;
        // The client's UDP size: 512 without EDNS0, else its OPT's within 512..our cap.
        int limit = DnsServerOptions.CLASSIC_UDP_PAYLOAD;
        int maxUdpPayload = server.options().maxUdpPayload();
        if (additional == 1) {
            // Only an OPT record (root owner) ending the datagram; its options are not looked at.
            if (questionEnd + 1 + RR_FIXED > end || q.getUnsignedByte(questionEnd) != 0
                    || q.getUnsignedShort(questionEnd + 1) != OPT
                    || questionEnd + 1 + RR_FIXED + q.getUnsignedShort(questionEnd + 9) != end) {
                return false;
            }
            limit = Math.min(Math.max(q.getUnsignedShort(questionEnd + 3), DnsServerOptions.CLASSIC_UDP_PAYLOAD),
                    maxUdpPayload);
        } else if (questionEnd != end) {
            return false;
        }
        name.setLength(name.length() - 1);
        RecordTable table = server.table();
        NameRecords records = table.lookupKey(scope, name.toString());
        if (records == null) {
            return false;
        }
        int questionLength = questionEnd - (base + HEADER);
        int optLength = additional == 1 ? DnsWire.EMPTY_OPT_LENGTH : 0;
        int size = HEADER + questionLength + optLength + answersLength(type, records, table);
        if (size > limit) {
            return false;
        }

        counters.queries.increment();
        ByteBuf r = ctx.alloc().ioBuffer(size);
        boolean success = false;
        try {
            r.writeShort(q.getUnsignedShort(base));
            // QR, AA, the query's RD; RA (we recurse by forwarding); NOERROR.
            r.writeShort(0x8480 | (flags & 0x0100));
            r.writeShort(1);
            r.writeShort(0); // ANCOUNT, set below
            r.writeShort(0);
            r.writeShort(0); // ARCOUNT, set below
            r.writeBytes(q, base + HEADER, questionLength);
            int answers = writeAnswers(type, records, r);
            int glue = type == SRV ? writeGlue(records, table, r) : 0;
            if (additional == 1) {
                r.writeByte(0).writeShort(OPT).writeShort(maxUdpPayload).writeInt(0).writeShort(0);
            }
            r.setShort(6, answers);
            r.setShort(10, glue + additional);
            if (answers == 0) {
                counters.nodata.increment();
            }
            counters.answeredLocally.increment();
            ctx.write(new DatagramPacket(r, packet.sender(), packet.recipient()), ctx.voidPromise());
            success = true;
        } finally {
            if (!success) {
                r.release();
            }
        }
        return true;
    }

    /** Bytes {@link #writeAnswers} and {@link #writeGlue} will write for {@code type}. */
    private int answersLength(int type, NameRecords records, RecordTable table) {
        switch (type) {
            case A:
                return records.addresses().size() * (POINTED_RR + 4);
            case PTR: {
                int length = 0;
                for (String target : records.pointers()) {
                    length += POINTED_RR + DnsNames.wireLength(target);
                }
                return length;
            }
            case SRV: {
                int length = 0;
                for (SrvTarget srv : records.services()) {
                    length += POINTED_RR + 6 + DnsNames.wireLength(srv.target());
                    NameRecords glue = table.lookupKey(scope, DnsNames.key(srv.target()));
                    if (glue != null) {
                        length += glue.addresses().size() * (DnsNames.wireLength(srv.target()) + RR_FIXED + 4);
                    }
                }
                return length;
            }
            default:
                return 0; // AAAA: the table has no IPv6 addresses, a known name is NODATA
        }
    }

    /** Writes the answer section for {@code type}; returns how many records it holds. */
    private int writeAnswers(int type, NameRecords records, ByteBuf r) {
        long ttl = server.options().ttlSeconds();
        switch (type) {
            case A: {
                List<Ipv4Address> addresses = records.addresses();
                int n = addresses.size();
                // Start at a random record: round robin for dnsrr and tasks.* without per-query state.
                int first = n > 1 ? ThreadLocalRandom.current().nextInt(n) : 0;
                for (int k = 0; k < n; k++) {
                    r.writeShort(QUESTION_POINTER).writeShort(A).writeShort(CLASS_IN).writeInt((int) ttl).writeShort(4);
                    r.writeInt(addresses.get((first + k) % n).value());
                }
                return n;
            }
            case PTR:
                for (String target : records.pointers()) {
                    r.writeShort(QUESTION_POINTER).writeShort(PTR).writeShort(CLASS_IN).writeInt((int) ttl);
                    r.writeShort(DnsNames.wireLength(target));
                    DnsWire.writeName(target, r);
                }
                return records.pointers().size();
            case SRV:
                for (SrvTarget srv : records.services()) {
                    r.writeShort(QUESTION_POINTER).writeShort(SRV).writeShort(CLASS_IN).writeInt((int) ttl);
                    r.writeShort(6 + DnsNames.wireLength(srv.target()));
                    r.writeShort(0).writeShort(0).writeShort(srv.port()); // priority, weight, port
                    DnsWire.writeName(srv.target(), r);
                }
                return records.services().size();
            default:
                return 0;
        }
    }

    /** The SRV targets' addresses for the additional section; returns how many records it wrote. */
    private int writeGlue(NameRecords records, RecordTable table, ByteBuf r) {
        long ttl = server.options().ttlSeconds();
        int count = 0;
        for (SrvTarget srv : records.services()) {
            NameRecords glue = table.lookupKey(scope, DnsNames.key(srv.target()));
            if (glue != null) {
                for (Ipv4Address address : glue.addresses()) {
                    DnsWire.writeName(srv.target(), r);
                    r.writeShort(A).writeShort(CLASS_IN).writeInt((int) ttl).writeShort(4).writeInt(address.value());
                    count++;
                }
            }
        }
        return count;
    }
}
