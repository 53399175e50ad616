package dev.flotilla.tests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a deadline, capturing what it printed. */
public final class Processes {
    private Processes() {
    }

    /** Where the flotilla checkout is (set by the tests' pom). */
    public static Path root() {
        String root = System.getProperty("flotilla.root");
        if (root == null) {
            throw new IllegalStateException("System property flotilla.root (the repository root) is not set");
        }
        return Path.of(root).toAbsolutePath().normalize();
    }

    public static Path flotilla() {
        return root().resolve("bin/flotilla");
    }

    /** The flotilla CLI against the daemon at {@code host}, as a user runs it. */
    public static Cli flotilla(String host, Duration timeout, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(flotilla().toString(), "-H", host));
        command.addAll(List.of(args));
        return run(timeout, command);
    }

    public static Cli run(Duration timeout, String... command) {
        return run(timeout, List.of(command));
    }

    public static Cli run(Duration timeout, List<String> command) {
        return run(timeout, command, new java.io.File("/dev/null"));
    }

    /** Like {@link #run(Duration, List)}, with {@code stdin} as the command's standard input. */
    public static Cli run(Duration timeout, List<String> command, java.io.File stdin) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(stdin));
        // The tests always name the daemon; a developer's own FLOTILLA_HOST must not redirect them.
        pb.environment().remove("FLOTILLA_HOST");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + command, e);
        }
        Drain out = new Drain(p.getInputStream());
        Drain err = new Drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("`" + String.join(" ", command) + "` did not finish within "
                        + timeout.toSeconds() + "s; stdout so far:\n" + out.text() + "\nstderr so far:\n" + err.text());
            }
            out.joinQuietly();
            err.joinQuietly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("Interrupted while running " + command, e);
        }
        return new Cli(command, p.exitValue(), out.text(), err.text());
    }

    /** Like {@link #run(Duration, List)}, failing unless the command exits 0. */
    public static Cli ok(Duration timeout, String... command) {
        Cli cli = run(timeout, command);
        if (!cli.ok()) {
            throw new AssertionError("Command failed:\n" + cli);
        }
        return cli;
    }

    /** Reads a stream on its own thread so a full stderr pipe cannot block a command writing stdout. */
    private static final class Drain extends Thread {
        private final InputStream in;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Drain(InputStream in) {
            this.in = in;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    synchronized (bytes) {
                        bytes.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                // The process went away (destroyed on timeout); keep what was read.
            }
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits for the end of the stream, but not forever: a grandchild may still hold the pipe. */
        void joinQuietly() throws InterruptedException {
            join(10_000);
        }
    }
}
