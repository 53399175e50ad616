package dev.flotilla.vxlan;

import io.netty.buffer.ByteBuf;

/**
 * The 8-byte VXLAN header of RFC 7348, read and written in place in a caller's {@link ByteBuf}:
 * <pre>
 *  0               1               2               3
 * |R|R|R|R|I|R|R|R|            Reserved (24 bits)                 |
 * |                VXLAN Network Identifier (VNI)  |   Reserved    |
 * </pre>
 * Stateless; nothing here allocates, retains or releases: every method leaves the buffer's
 * ownership and reference count as it found them, and only {@link #encode} moves an index.
 *
 * <p>Receive is stricter than the RFC, which says reserved bits are "ignored on receipt": like
 * the Linux kernel's VXLAN driver we drop a header whose flags are anything but the I bit or whose
 * reserved bits are set, so a future extension (GPE, GBP) is never misread as plain Ethernet.
 */
public final class VxlanHeader {

    /** Header length in bytes: the headroom a frame needs in front of it to be encapsulated in place. */
    public static final int LENGTH = 8;
    /** The I flag: the VNI field is valid. The only flag we send or accept. */
    public static final int FLAG_VNI = 0x08;
    /** The largest VNI: 24 bits. */
    public static final int MAX_VNI = 0xff_ffff;
    /** Inner Ethernet header; a payload shorter than header + this is not worth demultiplexing. */
    static final int MIN_INNER_FRAME = 14;

    private VxlanHeader() {
    }

    /**
     * Prepends the header for {@code vni}: writes it into the {@value #LENGTH} bytes just before
     * {@code frame}'s reader index and moves the reader index back over them, so the readable bytes
     * become header + frame, ready to be a UDP payload. No copy of the frame is made.
     *
     * @param frame the inner frame as its readable bytes, with at least {@value #LENGTH} bytes of
     *     headroom before the reader index; ownership stays with the caller
     * @throws IndexOutOfBoundsException if the headroom is missing (nothing is written then)
     * @throws IllegalArgumentException if {@code vni} is not a 24-bit value
     */
    public static void encode(ByteBuf frame, int vni) {
        checkVni(vni);
        int start = frame.readerIndex() - LENGTH;
        if (start < 0) {
            throw new IndexOutOfBoundsException("VXLAN encapsulation needs " + LENGTH
                    + " bytes of headroom before the frame, found " + frame.readerIndex());
        }
        frame.setInt(start, FLAG_VNI << 24);
        frame.setInt(start + 4, vni << 8);
        frame.readerIndex(start);
    }

    /**
     * Checks the header at {@code packet}'s reader index (a UDP payload).
     *
     * @param packet read only, indexes unchanged; ownership stays with the caller
     * @return {@code null} when the header is valid and an inner Ethernet header follows, otherwise
     *     why the packet must be dropped ({@link DropReason#SHORT} or {@link DropReason#BAD_FLAGS})
     */
    public static DropReason validate(ByteBuf packet) {
        if (packet.readableBytes() < LENGTH + MIN_INNER_FRAME) {
            return DropReason.SHORT;
        }
        int start = packet.readerIndex();
        // Word 0: flags + 24 reserved bits; word 1: VNI + 8 reserved bits.
        if (packet.getInt(start) != FLAG_VNI << 24 || (packet.getInt(start + 4) & 0xff) != 0) {
            return DropReason.BAD_FLAGS;
        }
        return null;
    }

    /**
     * The VNI of the header at {@code packet}'s reader index; meaningful only after
     * {@link #validate} returned {@code null}. Indexes and ownership unchanged.
     */
    public static int vni(ByteBuf packet) {
        return packet.getInt(packet.readerIndex() + 4) >>> 8;
    }

    /**
     * Strips a validated header: advances {@code packet}'s reader index past it, so the readable
     * bytes are the inner frame. Ownership stays with the caller.
     */
    public static void strip(ByteBuf packet) {
        packet.skipBytes(LENGTH);
    }

    /** Returns {@code vni} if it fits in 24 bits. */
    public static int checkVni(int vni) {
        if (vni < 0 || vni > MAX_VNI) {
            throw new IllegalArgumentException("VNI " + vni + " is outside 0.." + MAX_VNI);
        }
        return vni;
    }
}
