package dev.flotilla.dataplane.addr;

/**
 * An address on a network, in CIDR form as {@code ip addr} shows it: {@code 10.0.0.2/24} is the
 * host {@code 10.0.0.2} on {@code 10.0.0.0/24}. Unlike {@link Ipv4Prefix}, host bits are the point.
 * This is what a task's or a node's network attachment holds.
 *
 * @param address the host's address
 * @param prefixLength 0..32, the length of the network it sits on
 */
public record Ipv4Interface(Ipv4Address address, int prefixLength) {

    public Ipv4Interface {
        if (address == null) {
            throw new IllegalArgumentException("IPv4 interface address must not be null");
        }
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
    }

    /** The {@code n}th address of {@code network} as an interface on it. */
    public static Ipv4Interface in(Ipv4Prefix network, long n) {
        return new Ipv4Interface(network.address(n), network.prefixLength());
    }

    /**
     * Parses {@code a.b.c.d/len}.
     *
     * @throws IllegalArgumentException naming the text when it is not an address with a prefix length
     */
    public static Ipv4Interface parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv4 interface address (a.b.c.d/len): '" + text + "'");
        }
        String length = text.substring(slash + 1);
        if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not an IPv4 prefix length in '" + text + "'");
        }
        int prefixLength = Integer.parseInt(length);
        if (prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32 in '" + text + "'");
        }
        return new Ipv4Interface(Ipv4Address.parse(text.substring(0, slash)), prefixLength);
    }

    /** The network the address sits on, host bits cleared. */
    public Ipv4Prefix network() {
        return Ipv4Prefix.containing(address, prefixLength);
    }

    /** {@code true} when {@code other} is on the same network as this address. */
    public boolean contains(Ipv4Address other) {
        return network().contains(other);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }
}
