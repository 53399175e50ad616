package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * Zero-allocation view of an Ethernet/IPv4 ARP packet (RFC 826) that starts at absolute index
 * {@code at} of a buffer, normally right after the Ethernet header. Stateless: no method changes
 * indexes, reference counts or ownership.
 */
public final class ArpPacket {

    /** htype, ptype, hlen, plen, op, sha, spa, tha, tpa for Ethernet and IPv4. */
    public static final int LENGTH = 28;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private static final int HTYPE_ETHERNET = 1;
    private static final int HLEN_PLEN_ETHERNET_IPV4 = 6 << 8 | 4;

    private ArpPacket() {
    }

    /**
     * {@code true} when {@link #LENGTH} bytes are readable from {@code at} and they declare
     * Ethernet hardware addresses and IPv4 protocol addresses with the right lengths.
     */
    public static boolean isEthernetIpv4(ByteBuf buf, int at) {
        return at >= buf.readerIndex() && buf.writerIndex() - at >= LENGTH
                && buf.getUnsignedShort(at) == HTYPE_ETHERNET
                && buf.getUnsignedShort(at + 2) == EthernetFrame.ETHERTYPE_IPV4
                && buf.getUnsignedShort(at + 4) == HLEN_PLEN_ETHERNET_IPV4;
    }

    public static int opcode(ByteBuf buf, int at) {
        return buf.getUnsignedShort(at + 6);
    }

    public static long senderMac(ByteBuf buf, int at) {
        return EthernetFrame.getMac(buf, at + 8);
    }

    /** IPv4 address bits, most significant octet first (as {@link dev.flotilla.dataplane.addr.Ipv4Address#value()}). */
    public static int senderIp(ByteBuf buf, int at) {
        return buf.getInt(at + 14);
    }

    public static long targetMac(ByteBuf buf, int at) {
        return EthernetFrame.getMac(buf, at + 18);
    }

    public static int targetIp(ByteBuf buf, int at) {
        return buf.getInt(at + 24);
    }

    /**
     * Appends a whole Ethernet/IPv4 ARP packet at {@code buf}'s writer index (advancing it by
     * {@link #LENGTH}); ownership stays with the caller.
     */
    static void write(ByteBuf buf, int opcode, long senderMac, int senderIp, long targetMac, int targetIp) {
        buf.writeShort(HTYPE_ETHERNET);
        buf.writeShort(EthernetFrame.ETHERTYPE_IPV4);
        buf.writeShort(HLEN_PLEN_ETHERNET_IPV4);
        buf.writeShort(opcode);
        buf.writeShort((int) (senderMac >>> 32)).writeInt((int) senderMac);
        buf.writeInt(senderIp);
        buf.writeShort((int) (targetMac >>> 32)).writeInt((int) targetMac);
        buf.writeInt(targetIp);
    }
}
