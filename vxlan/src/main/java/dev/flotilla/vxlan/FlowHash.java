package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * A hash of an inner frame's flow, for the outer UDP source port (RFC 7348 section 5: "a hash of
 * fields from the inner packet"), as the kernel's VXLAN does with the flow dissector: IPv4
 * addresses and protocol, plus the ports of TCP and UDP (not for non-first fragments, which have
 * none); anything else hashes its MAC addresses. Every frame of a flow gets the same value, so a
 * flow keeps one source port (no reordering) while flows spread over the receiver's
 * {@code SO_REUSEPORT} sockets and an ECMP underlay. Stateless; indexes are not touched.
 */
final class FlowHash {

    private FlowHash() {
    }

    /** The hash of the Ethernet frame at absolute {@code frame}, {@code length} bytes (at least 14). */
    static int of(ByteBuf buf, int frame, int length) {
        long h;
        int ip = frame + EthernetFrame.HEADER_LENGTH;
        if (length >= EthernetFrame.HEADER_LENGTH + 20
                && buf.getUnsignedShort(frame + EthernetFrame.ETHERTYPE_OFFSET) == EthernetFrame.ETHERTYPE_IPV4) {
            int protocol = buf.getUnsignedByte(ip + 9);
            h = buf.getLong(ip + 12) * 31 + protocol;
            int ihl = (buf.getUnsignedByte(ip) & 0x0f) * 4;
            boolean firstFragment = (buf.getUnsignedShort(ip + 6) & 0x1fff) == 0;
            if ((protocol == InetChecksum.PROTO_TCP || protocol == InetChecksum.PROTO_UDP) && firstFragment
                    && ihl >= 20 && ip + ihl + 4 <= frame + length) {
                h = h * 31 + buf.getInt(ip + ihl);
            }
        } else {
            h = EthernetFrame.getMac(buf, frame) * 31 + EthernetFrame.getMac(buf, frame + 6);
        }
        // Murmur3's 64-bit finalizer: every input bit reaches the low bits used to pick a socket.
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }
}
