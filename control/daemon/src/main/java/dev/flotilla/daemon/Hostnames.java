package dev.flotilla.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This machine's hostname, as the kernel has it (no DNS lookup). */
final class Hostnames {

    private Hostnames() {
    }

    static String local() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
