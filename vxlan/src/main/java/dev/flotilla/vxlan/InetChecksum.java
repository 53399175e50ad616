package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) over bytes of a {@link ByteBuf}, eight at a time. Sums are
 * carried in a {@code long} without folding until the end: each step adds at most 2^33, so a
 * sum over 64 KiB cannot overflow. Stateless; indexes and ownership are never touched.
 */
final class InetChecksum {

    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;

    private InetChecksum() {
    }

    /** Adds {@code length} bytes at absolute {@code index} to {@code sum} (an even start offset within the checksummed data is assumed). */
    static long add(long sum, ByteBuf buf, int index, int length) {
        int end = index + length;
        int i = index;
        for (; i + 8 <= end; i += 8) {
            long word = buf.getLong(i);
            sum += (word >>> 32) + (word & 0xffff_ffffL);
        }
        if (i + 4 <= end) {
            sum += buf.getUnsignedInt(i);
            i += 4;
        }
        if (i + 2 <= end) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += (buf.getUnsignedByte(i) << 8);
        }
        return sum;
    }

    /** The IPv4 pseudo header: source, destination, protocol and the transport length. */
    static long pseudoHeader(int source, int destination, int protocol, int transportLength) {
        return (source & 0xffff_ffffL) + (destination & 0xffff_ffffL) + protocol + transportLength;
    }

    /** Folds a running sum to 16 bits (not complemented). */
    static int fold(long sum) {
        sum = (sum >>> 32) + (sum & 0xffff_ffffL);
        sum = (sum >>> 32) + (sum & 0xffff_ffffL);
        sum = (sum >>> 16) + (sum & 0xffff);
        sum = (sum >>> 16) + (sum & 0xffff);
        sum = (sum >>> 16) + (sum & 0xffff);
        return (int) sum;
    }

    /** The checksum field value for data whose running sum (field zeroed) is {@code sum}. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** Recomputes the IPv4 header checksum of the header at absolute {@code ip} ({@code ihl} bytes). */
    static void setIpv4HeaderChecksum(ByteBuf buf, int ip, int ihl) {
        buf.setShort(ip + 10, 0);
        buf.setShort(ip + 10, finish(add(0, buf, ip, ihl)));
    }

    /** {@code true} when the data summed, checksum field included, verifies (folds to 0xffff). */
    static boolean verifies(long sum) {
        return fold(sum) == 0xffff;
    }
}
