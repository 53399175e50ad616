package dev.flotilla.linux;

import java.nio.charset.StandardCharsets;

/** The kernel's rule for network interface names ({@code dev_valid_name} in net/core/dev.c). */
public final class InterfaceNames {

    /** Longest name the kernel accepts: {@code IFNAMSIZ - 1}, counted in bytes. */
    public static final int MAX_LENGTH = 15;

    private InterfaceNames() {
    }

    /**
     * Returns {@code name} if the kernel would accept it: 1 to 15 bytes, no '/', ':' or
     * whitespace, not "." or "..".
     *
     * @throws IllegalArgumentException saying what is wrong with the name
     */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("interface name must not be empty");
        }
        int length = name.getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_LENGTH) {
            throw new IllegalArgumentException("interface name '" + name + "' is " + length
                    + " bytes long; Linux allows at most " + MAX_LENGTH);
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("interface name must not be '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("interface name '" + name + "' contains an invalid character");
            }
        }
        return name;
    }
}
