package dev.flotilla.dns;

import dev.flotilla.dataplane.addr.Ipv4Address;

/** Name rules shared by the table and the query path. Stateless. */
final class DnsNames {

    private static final int MAX_NAME = 253;
    private static final int MAX_LABEL = 63;

    private DnsNames() {
    }

    /**
     * The lookup key of {@code name}: ASCII letters lowered (DNS compares names case-insensitively,
     * RFC 4343; nothing else is folded) and one trailing dot removed.
     */
    static String key(String name) {
        int end = name.endsWith(".") && name.length() > 1 ? name.length() - 1 : name.length();
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                char[] chars = name.substring(0, end).toCharArray();
                for (int j = i; j < chars.length; j++) {
                    if (chars[j] >= 'A' && chars[j] <= 'Z') {
                        chars[j] += 'a' - 'A';
                    }
                }
                return new String(chars);
            }
        }
        return end == name.length() ? name : name.substring(0, end);
    }

    /** {@code true} when the name has one label only ({@code server}, {@code server.}). */
    static boolean isSingleLabel(String key) {
        return key.indexOf('.') < 0;
    }

    /** {@code d.c.b.a.in-addr.arpa}, the key a PTR question for {@code a.b.c.d} carries. */
    static String reverseKey(Ipv4Address address) {
        return address.octet(3) + "." + address.octet(2) + "." + address.octet(1) + "." + address.octet(0)
                + ".in-addr.arpa";
    }

    /**
     * Returns {@code name} if it can be put in the table: 1..253 characters, dot-separated labels of
     * 1..63 letters, digits, '-' or '_', no trailing dot.
     */
    static String validate(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME) {
            throw new IllegalArgumentException("invalid DNS name '" + name + "': must be 1.." + MAX_NAME + " characters");
        }
        int labelLength = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    throw new IllegalArgumentException("invalid DNS name '" + name + "': empty label");
                }
                labelLength = 0;
            } else if (Character.isLetterOrDigit(c) && c < 0x80 || c == '-' || c == '_') {
                if (++labelLength > MAX_LABEL) {
                    throw new IllegalArgumentException("invalid DNS name '" + name + "': label over " + MAX_LABEL + " characters");
                }
            } else {
                throw new IllegalArgumentException("invalid DNS name '" + name + "': character '" + c
                        + "' is not a letter, digit, '-' or '_'");
            }
        }
        if (labelLength == 0) {
            throw new IllegalArgumentException("invalid DNS name '" + name + "': empty label");
        }
        return name;
    }

    /** Bytes netty's record encoder writes for {@code name} (uncompressed labels and the root). */
    static int wireLength(String name) {
        if (name.equals(".")) {
            return 1;
        }
        return name.length() + (name.endsWith(".") ? 1 : 2);
    }

    /**
     * {@code true} when netty's encoder can write {@code name} (as decoded from a question) back
     * unchanged: the root, or labels of 1..63 printable ASCII characters, at most 255 bytes encoded.
     * The decoder accepts more (NUL bytes, empty labels), which the encoder would then refuse.
     */
    static boolean isEncodable(String name) {
        if (name.equals(".")) {
            return true;
        }
        if (wireLength(name) > 255) {
            return false;
        }
        int end = name.endsWith(".") ? name.length() - 1 : name.length();
        int labelLength = 0;
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c == '.') {
                if (labelLength == 0) {
                    return false;
                }
                labelLength = 0;
            } else if (c <= 0x20 || c >= 0x7f || ++labelLength > 63) {
                return false;
            }
        }
        return labelLength > 0;
    }
}
