package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * Zero-allocation view of an Ethernet II header at a frame's reader index. MAC addresses come
 * back as the low 48 bits of a {@code long}, the form {@link dev.flotilla.dataplane.addr.MacAddress}
 * and {@link ForwardingTable} key on. Stateless: no method changes indexes, reference counts or
 * ownership; callers check {@link #HEADER_LENGTH} readable bytes first.
 */
public final class EthernetFrame {

    public static final int HEADER_LENGTH = 14;
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;

    static final int DESTINATION_OFFSET = 0;
    static final int SOURCE_OFFSET = 6;
    static final int ETHERTYPE_OFFSET = 12;

    private EthernetFrame() {
    }

    public static long destination(ByteBuf frame) {
        return getMac(frame, frame.readerIndex() + DESTINATION_OFFSET);
    }

    public static long source(ByteBuf frame) {
        return getMac(frame, frame.readerIndex() + SOURCE_OFFSET);
    }

    public static int etherType(ByteBuf frame) {
        return frame.getUnsignedShort(frame.readerIndex() + ETHERTYPE_OFFSET);
    }

    /** Broadcast or multicast: the group bit of the first octet, which no single station has. */
    public static boolean isGroup(long mac) {
        return (mac >>> 40 & 0x01) != 0;
    }

    /** The six octets at absolute {@code index}. */
    static long getMac(ByteBuf buf, int index) {
        return (long) buf.getUnsignedShort(index) << 32 | buf.getUnsignedInt(index + 2);
    }

    /** Writes the low 48 bits of {@code mac} as six octets at absolute {@code index}. */
    static void setMac(ByteBuf buf, int index, long mac) {
        buf.setShort(index, (int) (mac >>> 32));
        buf.setInt(index + 2, (int) mac);
    }
}
