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
}
