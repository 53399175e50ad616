package dev.flotilla.common;

import java.util.Locale;

/**
 * This machine's platform as Docker names it in a node's description ({@code node.platform.os},
 * {@code node.platform.arch}): the kernel's name and {@code uname -m}, not the JVM's words.
 */
public final class Platform {

    private Platform() {
    }

    public static String os() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    }

    public static String arch() {
        return arch(System.getProperty("os.arch", ""));
    }

    /** The JVM's {@code os.arch} as {@code uname -m} says it. */
    static String arch(String jvm) {
        return switch (jvm) {
            case "amd64", "x86_64" -> "x86_64";
            case "x86", "i386", "i486", "i586", "i686" -> "i686";
            default -> jvm;
        };
    }
}
