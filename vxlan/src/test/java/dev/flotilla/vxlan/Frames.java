package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** Test frames built byte by byte, independently of the views under test. */
final class Frames {

    static final long BROADCAST = 0xffff_ffff_ffffL;

    private Frames() {
    }

    /** An Ethernet/IPv4 ARP request from (mac, ip) for targetIp, broadcast, after {@code headroom} spare bytes. */
    static ByteBuf arpRequest(int headroom, long senderMac, int senderIp, int targetIp) {
        ByteBuf frame = Unpooled.directBuffer(headroom + 42);
        frame.writerIndex(headroom).readerIndex(headroom);
        writeMac(frame, BROADCAST);
        writeMac(frame, senderMac);
        frame.writeShort(0x0806);
        frame.writeShort(1).writeShort(0x0800).writeByte(6).writeByte(4).writeShort(1);
        writeMac(frame, senderMac);
        frame.writeInt(senderIp);
        writeMac(frame, 0);
        frame.writeInt(targetIp);
        return frame;
    }

    /** An Ethernet frame to dst from src carrying an IPv4-typed payload of {@code payloadLength} bytes. */
    static ByteBuf ipv4Frame(int headroom, long dst, long src, int payloadLength) {
        ByteBuf frame = Unpooled.directBuffer(headroom + 14 + payloadLength);
        frame.writerIndex(headroom).readerIndex(headroom);
        writeMac(frame, dst);
        writeMac(frame, src);
        frame.writeShort(0x0800);
        for (int i = 0; i < payloadLength; i++) {
            frame.writeByte(i);
        }
        return frame;
    }

    static void writeMac(ByteBuf buf, long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            buf.writeByte((int) (mac >>> shift));
        }
    }

    static long readMac(ByteBuf buf, int index) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = mac << 8 | buf.getUnsignedByte(index + i);
        }
        return mac;
    }

    static final int TCP_ACK = 0x10;
    static final int TCP_PSH = 0x08;

    /**
     * Ethernet + IPv4 (no options, DF, TTL 64) + TCP with a 12-byte timestamp option: 66 bytes of
     * headers, then {@code payload}. Both checksums are complete unless {@code partialTcpChecksum},
     * then the TCP field holds only the pseudo-header sum, as the kernel hands over CHECKSUM_PARTIAL.
     */
    static ByteBuf tcpFrame(int headroom, long dst, long src, int srcIp, int dstIp, int srcPort, int dstPort,
            int seq, int ack, int flags, int ipId, byte[] payload, boolean partialTcpChecksum) {
        ByteBuf frame = Unpooled.directBuffer(headroom + 66 + payload.length);
        frame.writerIndex(headroom).readerIndex(headroom);
        writeMac(frame, dst);
        writeMac(frame, src);
        frame.writeShort(0x0800);
        int ip = frame.writerIndex();
        frame.writeByte(0x45).writeByte(0).writeShort(20 + 32 + payload.length).writeShort(ipId).writeShort(0x4000)
                .writeByte(64).writeByte(6).writeShort(0).writeInt(srcIp).writeInt(dstIp);
        frame.setShort(ip + 10, checksum(frame, ip, 20, 0));
        int tcp = frame.writerIndex();
        frame.writeShort(srcPort).writeShort(dstPort).writeInt(seq).writeInt(ack).writeByte(8 << 4).writeByte(flags)
                .writeShort(502).writeShort(0).writeShort(0);
        frame.writeByte(1).writeByte(1).writeByte(8).writeByte(10).writeInt(0x01020304).writeInt(0x05060708);
        frame.writeBytes(payload);
        long pseudo = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + 6 + 32 + payload.length;
        if (partialTcpChecksum) {
            frame.setShort(tcp + 16, fold(pseudo));
        } else {
            frame.setShort(tcp + 16, checksum(frame, tcp, 32 + payload.length, pseudo));
        }
        return frame;
    }

    /** RFC 1071 by 16-bit words, the slow obvious way: complemented. */
    static int checksum(ByteBuf buf, int index, int length, long initial) {
        return ~fold(sum(buf, index, length, initial)) & 0xffff;
    }

    static long sum(ByteBuf buf, int index, int length, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += buf.getUnsignedShort(index + i);
        }
        if ((length & 1) != 0) {
            sum += buf.getUnsignedByte(index + length - 1) << 8;
        }
        return sum;
    }

    static int fold(long sum) {
        while (sum >>> 16 != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** A virtio_net_hdr (little endian) followed by {@code frame}'s readable bytes, in a new buffer. */
    static ByteBuf withVnetHeader(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset,
            ByteBuf frame) {
        ByteBuf buf = Unpooled.directBuffer(10 + frame.readableBytes());
        buf.writeByte(flags).writeByte(gsoType).writeShortLE(hdrLen).writeShortLE(gsoSize).writeShortLE(csumStart)
                .writeShortLE(csumOffset);
        buf.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
        return buf;
    }
}
