package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * The legacy {@code struct virtio_net_hdr} (10 bytes, little endian on the hosts we build for)
 * that a TAP opened with {@code IFF_VNET_HDR} puts before every frame, read and written in place:
 * <pre>
 *  u8 flags | u8 gso_type | le16 hdr_len | le16 gso_size | le16 csum_start | le16 csum_offset
 * </pre>
 * Stateless: nothing here allocates, retains, releases or moves an index.
 */
final class VirtioNetHeader {

    static final int LENGTH = 10;

    static final int F_NEEDS_CSUM = 0x01;
    static final int F_DATA_VALID = 0x02;

    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_UDP_L4 = 5;
    static final int GSO_ECN = 0x80;

    private VirtioNetHeader() {
    }

    static int flags(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at);
    }

    static int gsoType(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at + 1);
    }

    static int hdrLen(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 2);
    }

    static int gsoSize(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 4);
    }

    static int csumStart(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 6);
    }

    static int csumOffset(ByteBuf buf, int at) {
        return buf.getUnsignedShortLE(at + 8);
    }

    /** Writes an all-zero header: no offload, the kernel checks the frame's checksums itself. */
    static void setNone(ByteBuf buf, int at) {
        buf.setLong(at, 0);
        buf.setShort(at + 8, 0);
    }

    /** Writes a TCPv4 GSO header with a partial checksum from {@code csumStart}, field at +16. */
    static void setTcpv4(ByteBuf buf, int at, int hdrLen, int gsoSize, int csumStart) {
        buf.setByte(at, F_NEEDS_CSUM);
        buf.setByte(at + 1, GSO_TCPV4);
        buf.setShortLE(at + 2, hdrLen);
        buf.setShortLE(at + 4, gsoSize);
        buf.setShortLE(at + 6, csumStart);
        buf.setShortLE(at + 8, 16);
    }
}
