package dev.flotilla.executor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/** Small root file systems and ids for the runtime tests. */
final class TestRootfs {

    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS =
            List.of("sh", "httpd", "hostname", "sleep", "cat", "echo", "wget", "ls", "true");
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestRootfs() {
    }

    /** A busybox rootfs: /bin/busybox and applet symlinks, and the usual empty mount points. */
    static Path busybox(Path dir) throws IOException {
        for (String sub : List.of("bin", "etc", "tmp", "proc", "sys", "dev")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Files.copy(BUSYBOX, dir.resolve("bin/busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(dir.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        return dir;
    }

    /** A tiny tree with a file, a directory and a symlink; no root needed. */
    static Path tiny(Path dir, String content) throws IOException {
        Files.createDirectories(dir.resolve("etc"));
        Files.writeString(dir.resolve("etc/motd"), content);
        Files.createSymbolicLink(dir.resolve("motd"), Path.of("etc/motd"));
        return dir;
    }

    static String randomContainerId() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static void run(List<String> argv) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + output);
        }
    }
}
