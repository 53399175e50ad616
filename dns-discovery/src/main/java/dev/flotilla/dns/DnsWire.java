package dev.flotilla.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordEncoder;
import io.netty.handler.codec.dns.DnsRecordType;

/**
 * Byte-level work on whole DNS messages that are forwarded rather than parsed: encoding the
 * query we send upstream, matching and truncating what comes back. Stateless; every method says
 * what happens to the buffers it is given.
 */
final class DnsWire {

    static final int HEADER_LENGTH = TolerantDatagramDnsQueryDecoder.HEADER_LENGTH;
    static final int FLAG_QR = 0x8000;
    static final int FLAG_TC = 0x0200;
    static final int RCODE_SERVFAIL = 2;
    static final int RCODE_REFUSED = 5;
    /** An OPT record without options: root name, type, class, TTL, RDLENGTH. */
    static final int EMPTY_OPT_LENGTH = 11;

    private DnsWire() {
    }

    /**
     * Encodes {@code query}'s header (id 0: the forwarder assigns one), {@code question} and, if
     * present, {@code opt} with its UDP size clamped to 512..{@code maxUdpPayload} (so an upstream
     * never sends us more than our receive buffer holds). Other records are not forwarded.
     *
     * @return a new buffer owned by the caller
     */
    static ByteBuf encodeQuery(ByteBufAllocator alloc, DnsQuery query, DnsQuestion question, DnsRecord opt,
                               int maxUdpPayload) {
        ByteBuf out = alloc.buffer(HEADER_LENGTH + DnsNames.wireLength(question.name()) + 4 + EMPTY_OPT_LENGTH);
        boolean success = false;
        try {
            out.writeShort(0);
            out.writeShort((query.opCode().byteValue() & 0xf) << 11 | (query.isRecursionDesired() ? 0x100 : 0)
                    | (query.z() & 0x7) << 4);
            out.writeShort(1).writeShort(0).writeShort(0).writeShort(opt == null ? 0 : 1);
            DnsRecordEncoder.DEFAULT.encodeQuestion(question, out);
            if (opt != null) {
                out.writeByte(0);
                out.writeShort(DnsRecordType.OPT.intValue());
                out.writeShort(Math.min(Math.max(opt.dnsClass(), DnsServerOptions.CLASSIC_UDP_PAYLOAD), maxUdpPayload));
                out.writeInt((int) opt.timeToLive());
                if (opt instanceof DnsRawRecord raw) {
                    ByteBuf options = raw.content();
                    out.writeShort(options.readableBytes());
                    out.writeBytes(options, options.readerIndex(), options.readableBytes());
                } else {
                    out.writeShort(0);
                }
            }
            success = true;
            return out;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot encode question " + question.name(), e);
        } finally {
            if (!success) {
                out.release();
            }
        }
    }

    /**
     * The index just past the question section of the message starting at {@code start}, or -1 when
     * the section does not parse within the readable bytes. Does not move indexes.
     */
    static int questionEnd(ByteBuf message, int start) {
        int end = message.writerIndex();
        if (end - start < HEADER_LENGTH) {
            return -1;
        }
        int count = message.getUnsignedShort(start + 4);
        int position = start + HEADER_LENGTH;
        for (int i = 0; i < count; i++) {
            position = nameEnd(message, position, end);
            if (position < 0 || position + 4 > end) {
                return -1;
            }
            position += 4;
        }
        return position;
    }

    /** Index past the name at {@code position}: labels up to the root, or up to a compression pointer. */
    private static int nameEnd(ByteBuf message, int position, int end) {
        while (position < end) {
            int length = message.getUnsignedByte(position);
            if (length == 0) {
                return position + 1;
            }
            if ((length & 0xc0) == 0xc0) {
                return position + 2 <= end ? position + 2 : -1;
            }
            if ((length & 0xc0) != 0) {
                return -1;
            }
            position += 1 + length;
        }
        return -1;
    }

    /**
     * {@code true} when {@code response}'s question section equals {@code query}'s, ignoring ASCII
     * case (some upstreams do not echo the 0x20 mix). Both messages start at their reader index.
     */
    static boolean sameQuestion(ByteBuf query, int queryQuestionEnd, ByteBuf response) {
        int q = query.readerIndex();
        int r = response.readerIndex();
        int length = queryQuestionEnd - (q + HEADER_LENGTH);
        if (response.writerIndex() - (r + HEADER_LENGTH) < length
                || query.getUnsignedShort(q + 4) != response.getUnsignedShort(r + 4)) {
            return false;
        }
        for (int i = HEADER_LENGTH; i < HEADER_LENGTH + length; i++) {
            if (lower(query.getByte(q + i)) != lower(response.getByte(r + i))) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    /**
     * Cuts {@code response} (a whole message from its reader index) down to header and question,
     * sets TC, and appends an empty OPT advertising {@code advertisedUdpPayload} when
     * {@code withOpt}, so the client retries over TCP. Works in place; the caller keeps ownership.
     *
     * @return {@code false} (buffer untouched) when the question section does not parse
     */
    static boolean truncateToQuestion(ByteBuf response, boolean withOpt, int advertisedUdpPayload) {
        int start = response.readerIndex();
        int end = questionEnd(response, start);
        if (end < 0) {
            return false;
        }
        response.writerIndex(end);
        response.setShort(start + 2, response.getUnsignedShort(start + 2) | FLAG_TC);
        response.setShort(start + 6, 0);
        response.setShort(start + 8, 0);
        response.setShort(start + 10, withOpt ? 1 : 0);
        if (withOpt) {
            response.writeByte(0).writeShort(DnsRecordType.OPT.intValue()).writeShort(advertisedUdpPayload)
                    .writeInt(0).writeShort(0);
        }
        return true;
    }

    /** Writes a table name (validated: non-empty labels, no trailing dot) as uncompressed labels and the root. */
    static void writeName(String name, ByteBuf out) {
        int labelStart = 0;
        for (int i = 0; i <= name.length(); i++) {
            if (i == name.length() || name.charAt(i) == '.') {
                out.writeByte(i - labelStart);
                for (int j = labelStart; j < i; j++) {
                    out.writeByte(name.charAt(j));
                }
                labelStart = i + 1;
            }
        }
        out.writeByte(0);
    }

    /**
     * An OPT pseudo-record without options advertising {@code udpPayload} (EDNS version 0, no
     * flags). netty 4.2 has no concrete OPT record class, so it is a raw record: root name, the
     * payload size in the class field, zero TTL.
     */
    static DnsRecord emptyOpt(int udpPayload) {
        return new DefaultDnsRawRecord(".", DnsRecordType.OPT, udpPayload, 0, Unpooled.EMPTY_BUFFER);
    }
}
