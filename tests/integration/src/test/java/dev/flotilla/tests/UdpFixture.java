package dev.flotilla.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The UDP fixture (src/test/c/udp-hostname.c) built statically into a one-file root filesystem:
 * {@code udp-hostname serve PORT} answers every datagram with its host's name, {@code udp-hostname
 * ask HOST PORT} sends one from a fresh socket and prints the answer.
 */
final class UdpFixture {
    private static final Duration TOOL = Duration.ofSeconds(60);

    /** The fixture's root filesystem, {@code <dir>/udp-rootfs}. */
    final Path rootfs;
    /** The binary, also runnable on the host (static). */
    final Path binary;

    private UdpFixture(Path rootfs, Path binary) {
        this.rootfs = rootfs;
        this.binary = binary;
    }

    static UdpFixture build(Path dir) {
        Path rootfs = dir.resolve("udp-rootfs");
        try {
            Files.createDirectories(rootfs.resolve("bin"));
            for (String d : List.of("etc", "proc", "sys", "dev", "tmp")) {
                Files.createDirectories(rootfs.resolve(d));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path binary = rootfs.resolve("bin/udp-hostname");
        Processes.ok(TOOL, "gcc", "-static", "-O2", "-o", binary.toString(),
                Processes.root().resolve("tests/integration/src/test/c/udp-hostname.c").toString());
        return new UdpFixture(rootfs, binary);
    }

    /** {@code image import ref} on {@code node}, the image serving datagrams on {@code port}. */
    void importImage(TestNode node, String ref, int port) {
        node.ok("image", "import", ref, rootfs.toString(),
                "--change", "CMD [\"/bin/udp-hostname\", \"serve\", \"" + port + "\"]");
    }
}
