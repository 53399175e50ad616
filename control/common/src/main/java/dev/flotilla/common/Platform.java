package dev.flotilla.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * This machine as Docker describes a node: its platform ({@code node.platform.os},
 * {@code node.platform.arch}: the kernel's name and {@code uname -m}, not the JVM's words) and its
 * resources (the CPUs this process may run on, and {@code MemTotal}), which the scheduler
 * subtracts reservations from.
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

    /** The CPUs this process may run on, in billionths of a CPU (Docker's NanoCPUs). */
    public static long nanoCpus() {
        return Runtime.getRuntime().availableProcessors() * 1_000_000_000L;
    }

    /** {@code MemTotal} of {@code /proc/meminfo} in bytes, as Docker's node description gives it. */
    public static long memoryBytes() {
        try {
            return memTotal(Files.readAllLines(Path.of("/proc/meminfo")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/meminfo", e);
        }
    }

    /** The {@code MemTotal: N kB} line of meminfo's lines, in bytes. */
    static long memTotal(Iterable<String> meminfo) {
        for (String line : meminfo) {
            if (line.startsWith("MemTotal:")) {
                String[] words = line.substring("MemTotal:".length()).trim().split("\\s+");
                return Long.parseLong(words[0]) * 1024;
            }
        }
        throw new IllegalStateException("/proc/meminfo has no MemTotal line");
    }
}
