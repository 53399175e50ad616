package dev.flotilla.dataplane.addr;

/**
 * A 48-bit Ethernet address, held in the low 48 bits of a {@code long} so comparing and hashing
 * never allocate (the forwarding database keys on it).
 *
 * @param value the six octets, first octet in bits 47..40
 */
public record MacAddress(long value) {

    private static final long MASK = 0xffff_ffff_ffffL;

    public static final MacAddress BROADCAST = new MacAddress(MASK);

    public MacAddress {
        if ((value & ~MASK) != 0) {
            throw new IllegalArgumentException("MAC address has more than 48 bits: 0x" + Long.toHexString(value));
        }
    }

    /**
     * The MAC Docker derives from a container's IPv4 address: {@code 02:42} (locally administered,
     * unicast) followed by the four address octets. Overlay peers rely on it to compute each
     * other's MACs without asking.
     */
    public static MacAddress fromIpv4(Ipv4Address address) {
        return new MacAddress(0x0242_0000_0000L | address.toUnsignedLong());
    }

    /** Reads 6 bytes from {@code bytes} at {@code offset}. */
    public static MacAddress fromBytes(byte[] bytes, int offset) {
        long value = 0;
        for (int i = 0; i < 6; i++) {
            value = value << 8 | (bytes[offset + i] & 0xff);
        }
        return new MacAddress(value);
    }

    /**
     * Parses six colon-separated hex octets, either case, e.g. {@code 02:42:0a:00:00:02}.
     *
     * @throws IllegalArgumentException naming the text when malformed
     */
    public static MacAddress parse(String text) {
        if (text == null || text.length() != 17) {
            throw invalid(text);
        }
        long value = 0;
        for (int i = 0; i < 6; i++) {
            int at = i * 3;
            int high = Character.digit(text.charAt(at), 16);
            int low = Character.digit(text.charAt(at + 1), 16);
            if (high < 0 || low < 0 || (i < 5 && text.charAt(at + 2) != ':')) {
                throw invalid(text);
            }
            value = value << 8 | high << 4 | low;
        }
        return new MacAddress(value);
    }

    public byte[] toBytes() {
        byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++) {
            bytes[i] = (byte) (value >>> (40 - 8 * i));
        }
        return bytes;
    }

    /** Group bit of the first octet: broadcast or multicast, never a single station. */
    public boolean isMulticast() {
        return (value >>> 40 & 0x01) != 0;
    }

    public boolean isBroadcast() {
        return value == MASK;
    }

    /** Lower-case, colon-separated, two digits per octet: the form iproute2 prints. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                text.append(':');
            }
            int octet = (int) (value >>> (40 - 8 * i)) & 0xff;
            text.append(Character.forDigit(octet >>> 4, 16)).append(Character.forDigit(octet & 0xf, 16));
        }
        return text.toString();
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("not a MAC address (xx:xx:xx:xx:xx:xx): '" + text + "'");
    }
}
