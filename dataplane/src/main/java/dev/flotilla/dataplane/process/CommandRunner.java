package dev.flotilla.dataplane.process;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one external command (ip, nft, sysctl, runc, tar, mount...) from an argv list, never through
 * a shell, with a deadline. Input and output go through temporary files rather than pipes: no
 * reader threads, and a command that fills a pipe or never reads its input cannot wedge us; the
 * deadline alone decides when we give up. Each module turns the outcome into its own exception
 * ({@code LinkException}, the executor's {@code CommandException}).
 *
 * <p>The child inherits the network namespace of the <em>calling thread</em>, and runs with
 * {@code LC_ALL=C}: the error texts callers match on are the untranslated ones.
 */
public final class CommandRunner {

    /** Kept from the end of each stream: far more than any listing we parse, and a chatty tool cannot fill the heap. */
    public static final int MAX_OUTPUT_BYTES = 1 << 20;

    private static final Logger logger = LoggerFactory.getLogger(CommandRunner.class);

    /** What killing an overdue command (and its children) may take before we stop waiting for it. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);

    private CommandRunner() {
    }

    /** How a command ended: its exit code and what it printed on each stream. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public Result {
            command = List.copyOf(command);
        }
    }

    /**
     * Runs {@code command}, feeding it {@code stdin} (nothing when {@code null}), and waits at most
     * {@code timeout}; past that it is killed with its children. A non-zero exit is a result.
     *
     * @throws NotFinishedException when there is no exit code: it could not start, outlived
     *     {@code timeout}, or the calling thread was interrupted (the flag stays set)
     */
    public static Result run(List<String> command, String stdin, Duration timeout) throws NotFinishedException {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        logger.debug("exec {}", command);
        Path in = null;
        Path out = null;
        Path err = null;
        Process process = null;
        try {
            out = Files.createTempFile("flotilla-exec", ".out");
            err = Files.createTempFile("flotilla-exec", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            if (stdin != null) {
                in = Files.createTempFile("flotilla-exec", ".in");
                Files.writeString(in, stdin, StandardCharsets.UTF_8);
                builder.redirectInput(in.toFile());
            } else {
                builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            builder.environment().put("LC_ALL", "C");
            process = builder.start();
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                destroy(process);
                throw new NotFinishedException(NotFinishedException.Reason.TIMED_OUT, command,
                        tail(out), tail(err), null);
            }
            return new Result(command, process.exitValue(), tail(out), tail(err));
        } catch (IOException e) {
            throw new NotFinishedException(NotFinishedException.Reason.NOT_STARTED, command, "", "", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(process);
            throw new NotFinishedException(NotFinishedException.Reason.INTERRUPTED, command, "", "", e);
        } finally {
            deleteQuietly(in);
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static String tail(Path file) throws IOException {
        return FileTail.read(file, MAX_OUTPUT_BYTES);
    }

    private static void destroy(Process process) {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover file in java.io.tmpdir is harmless; the command's result matters more.
            logger.warn("could not delete temporary file {}", file, e);
        }
    }
}
