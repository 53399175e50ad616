package dev.flotilla.dataplane.link;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one external command with a deadline. Output and input go through temporary files rather
 * than pipes: no reader threads, and a command that fills a pipe or never reads its input cannot
 * wedge us; the deadline alone decides when we give up.
 *
 * <p>The child inherits the network namespace of the <em>calling thread</em>.
 */
final class CommandRunner {

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger logger = LoggerFactory.getLogger(CommandRunner.class);

    /** What killing an overdue command may take before we stop waiting for it. */
    private static final long KILL_GRACE_SECONDS = 2;

    private CommandRunner() {
    }

    /** Runs {@code argv}; never throws for a non-zero exit, only when there is no exit code at all. */
    static ExecResult run(List<String> argv, String stdin, Duration timeout) {
        logger.debug("exec {}", argv);
        Path in = null;
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("flotilla-exec", ".out");
            err = Files.createTempFile("flotilla-exec", ".err");
            ProcessBuilder builder = new ProcessBuilder(argv)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("flotilla-exec", ".in");
                Files.writeString(in, stdin, StandardCharsets.UTF_8);
                builder.redirectInput(in.toFile());
            } else {
                builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            builder.environment().put("LC_ALL", "C"); // error texts we match on are the untranslated ones
            Process process = builder.start();
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                process.waitFor(KILL_GRACE_SECONDS, TimeUnit.SECONDS);
                throw new LinkException(argv, LinkException.NO_EXIT_CODE, read(err),
                        "did not finish within " + timeout.toMillis() + " ms and was killed", null);
            }
            return new ExecResult(argv, process.exitValue(), read(out), read(err));
        } catch (IOException e) {
            throw new LinkException(argv, LinkException.NO_EXIT_CODE, "", "could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LinkException(argv, LinkException.NO_EXIT_CODE, "", "was interrupted", e);
        } finally {
            deleteQuietly(in);
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Runs {@code argv} with the default timeout and throws unless it exits 0. */
    static ExecResult runChecked(List<String> argv) {
        return run(argv, null, DEFAULT_TIMEOUT).checked();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            logger.warn("could not delete temporary file {}", file, e);
        }
    }
}
