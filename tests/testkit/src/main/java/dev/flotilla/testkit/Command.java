package dev.flotilla.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short command (iproute2, a probe) with a deadline, stdin from /dev/null, stdout and stderr together. */
public final class Command {

    /** Long enough for iproute2 on a loaded 2-core machine; a command that takes longer is stuck. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What a command printed (stdout and stderr interleaved) and how it exited. */
    public record Result(int exitCode, String output) {

        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    private Command() {
    }

    /** Runs {@code argv} to its end; a command still running after {@link #TIMEOUT} is killed and throws. */
    public static Result run(String... argv) {
        Path out = null;
        try {
            // The output goes to a file, so a chatty command can never block on a full pipe.
            out = Files.createTempFile("ft-cmd", ".out");
            Process process = new ProcessBuilder(List.of(argv))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("timed out after " + TIMEOUT.toSeconds() + "s: " + String.join(" ", argv));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        } finally {
            deleteQuietly(out);
        }
    }

    /** As {@link #run(String...)}; a non-zero exit throws with the command and its output. */
    public static Result runChecked(String... argv) {
        Result result = run(argv);
        if (!result.succeeded()) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + result.exitCode() + ": " + result.output());
        }
        return result;
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // A temporary file; the OS cleans its temp directory.
            }
        }
    }
}
