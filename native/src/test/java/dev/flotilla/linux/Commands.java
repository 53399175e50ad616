package dev.flotilla.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test helper: runs short commands (iproute2) with a deadline; output goes to a temp file. */
final class Commands {

    record Result(int exitCode, String output) {
    }

    private Commands() {
    }

    static Result run(String... argv) throws IOException, InterruptedException {
        Path out = Files.createTempFile("ft-dp-cmd", ".out");
        try {
            Process process = new ProcessBuilder(List.of(argv))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", argv));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static void runChecked(String... argv) throws IOException, InterruptedException {
        Result result = run(argv);
        if (result.exitCode() != 0) {
            throw new IOException(String.join(" ", argv) + " exited " + result.exitCode() + ": " + result.output());
        }
    }

    static boolean privileged() {
        try {
            return Native.isAvailable()
                    && ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0
                    && Files.exists(Path.of("/dev/net/tun"))
                    && run("ip", "-V").exitCode() == 0;
        } catch (IOException | InterruptedException | UnsupportedOperationException e) {
            return false;
        }
    }
}
