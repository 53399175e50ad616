package dev.flotilla.dataplane.addr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address as its 32 bits in network order ({@code 10.0.0.1} is {@code 0x0a000001}).
 * Immutable; compares as unsigned, so {@code 10.0.0.1 < 192.168.0.1}.
 *
 * @param value the address bits, most significant octet first
 */
public record Ipv4Address(int value) implements Comparable<Ipv4Address> {

    public static final Ipv4Address ANY = new Ipv4Address(0);

    public static Ipv4Address of(int value) {
        return new Ipv4Address(value);
    }

    public static Ipv4Address of(int a, int b, int c, int d) {
        checkOctet(a);
        checkOctet(b);
        checkOctet(c);
        checkOctet(d);
        return new Ipv4Address(a << 24 | b << 16 | c << 8 | d);
    }

    /** Reads 4 bytes in network order from {@code bytes} at {@code offset}. */
    public static Ipv4Address fromBytes(byte[] bytes, int offset) {
        return new Ipv4Address((bytes[offset] & 0xff) << 24 | (bytes[offset + 1] & 0xff) << 16
                | (bytes[offset + 2] & 0xff) << 8 | bytes[offset + 3] & 0xff);
    }

    public static Ipv4Address fromInetAddress(Inet4Address address) {
        return fromBytes(address.getAddress(), 0);
    }

    /**
     * Parses dotted-quad text strictly: four decimal octets 0..255, no leading zeros (which some
     * tools read as octal), nothing else.
     *
     * @throws IllegalArgumentException naming the text when it is not an IPv4 address
     */
    public static Ipv4Address parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 address must not be null");
        }
        int value = 0;
        int octets = 0;
        int i = 0;
        int length = text.length();
        while (i <= length && octets < 4) {
            int start = i;
            int octet = 0;
            while (i < length && i - start < 4 && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                octet = octet * 10 + (text.charAt(i) - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 3 || octet > 255 || (digits > 1 && text.charAt(start) == '0')) {
                throw invalid(text);
            }
            value = value << 8 | octet;
            octets++;
            if (octets < 4) {
                if (i >= length || text.charAt(i) != '.') {
                    throw invalid(text);
                }
                i++;
            }
        }
        if (octets != 4 || i != length) {
            throw invalid(text);
        }
        return new Ipv4Address(value);
    }

    /** The address as an unsigned number, for arithmetic over ranges. */
    public long toUnsignedLong() {
        return Integer.toUnsignedLong(value);
    }

    public byte[] toBytes() {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    public Inet4Address toInetAddress() {
        try {
            return (Inet4Address) InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always a valid IPv4 address", e);
        }
    }

    /** The octet at {@code index} 0..3, 0 being the most significant. */
    public int octet(int index) {
        return value >>> (24 - 8 * index) & 0xff;
    }

    @Override
    public int compareTo(Ipv4Address other) {
        return Integer.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return octet(0) + "." + octet(1) + "." + octet(2) + "." + octet(3);
    }

    private static void checkOctet(int octet) {
        if (octet < 0 || octet > 255) {
            throw new IllegalArgumentException("octet out of range 0..255: " + octet);
        }
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("not an IPv4 address: '" + text + "'");
    }
}
