package dev.flotilla.dataplane.addr;

/**
 * An IPv4 network in CIDR form, e.g. {@code 10.0.0.0/20}. Host bits of {@code network} are always
 * zero: {@link #parse} rejects {@code 10.0.0.1/20} (a likely typo in a subnet flag) while
 * {@link #containing} masks them off on purpose.
 *
 * @param network the first address of the range, host bits zero
 * @param prefixLength 0..32
 */
public record Ipv4Prefix(Ipv4Address network, int prefixLength) {

    public Ipv4Prefix {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
        if ((network.value() & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException(network + "/" + prefixLength + " has host bits set; the network is "
                    + Ipv4Address.of(network.value() & mask(prefixLength)) + "/" + prefixLength);
        }
    }

    /** The prefix of length {@code prefixLength} that holds {@code address}. */
    public static Ipv4Prefix containing(Ipv4Address address, int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
        return new Ipv4Prefix(Ipv4Address.of(address.value() & mask(prefixLength)), prefixLength);
    }

    /**
     * Parses {@code a.b.c.d/len}.
     *
     * @throws IllegalArgumentException naming the text when it is malformed or has host bits set
     */
    public static Ipv4Prefix parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv4 prefix (a.b.c.d/len): '" + text + "'");
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not an IPv4 prefix length in '" + text + "'");
        }
        return new Ipv4Prefix(Ipv4Address.parse(text.substring(0, slash)), Integer.parseInt(length));
    }

    /** The netmask as bits, e.g. {@code 0xfffff000} for /20. */
    public int mask() {
        return mask(prefixLength);
    }

    /** Number of addresses in the range, network and broadcast included. */
    public long size() {
        return 1L << (32 - prefixLength);
    }

    public boolean contains(Ipv4Address address) {
        return (address.value() & mask()) == network.value();
    }

    /** {@code true} when {@code other} lies entirely inside this prefix. */
    public boolean contains(Ipv4Prefix other) {
        return other.prefixLength >= prefixLength && contains(other.network);
    }

    /** {@code true} when the two ranges share an address. */
    public boolean overlaps(Ipv4Prefix other) {
        return contains(other.network) || other.contains(network);
    }

    /**
     * The {@code n}th address of the range: 0 is the network address, {@code size() - 1} the
     * broadcast address.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= n < size()}
     */
    public Ipv4Address address(long n) {
        if (n < 0 || n >= size()) {
            throw new IndexOutOfBoundsException("address " + n + " is outside " + this + " (" + size() + " addresses)");
        }
        return Ipv4Address.of(network.value() + (int) n);
    }

    /** The position of {@code address} in this range, the inverse of {@link #address(long)}. */
    public long indexOf(Ipv4Address address) {
        if (!contains(address)) {
            throw new IllegalArgumentException(address + " is not in " + this);
        }
        return address.toUnsignedLong() - network.toUnsignedLong();
    }

    public Ipv4Address broadcast() {
        return Ipv4Address.of(network.value() | ~mask());
    }

    @Override
    public String toString() {
        return network + "/" + prefixLength;
    }

    private static int mask(int prefixLength) {
        // A shift by 32 is a shift by 0 in Java, hence the special case.
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }
}
