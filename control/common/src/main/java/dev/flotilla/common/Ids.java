package dev.flotilla.common;

import java.math.BigInteger;
import java.security.SecureRandom;

/** Object ids as swarmkit makes them: 128 random bits in base36, 25 characters. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    /** A new random id such as {@code 3l82vvc581b8myfrvptgbkvxd}. */
    public static String newId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return base36(bytes, 25);
    }

    /** A container id: 64 lowercase hex characters, as Docker's. */
    public static String newContainerId() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    /** The unsigned big-endian value of {@code bytes} in base36, left-padded with zeros to {@code width}. */
    public static String base36(byte[] bytes, int width) {
        String s = new BigInteger(1, bytes).toString(36);
        if (s.length() > width) {
            throw new IllegalArgumentException("value needs " + s.length() + " base36 digits, more than " + width);
        }
        return "0".repeat(width - s.length()) + s;
    }

    /** The first 12 characters, as `service ls` and `ps` show ids. */
    public static String shortId(String id) {
        return id.length() <= 12 ? id : id.substring(0, 12);
    }
}
