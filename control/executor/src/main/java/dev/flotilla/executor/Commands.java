package dev.flotilla.executor;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command from an argv list (never through a shell) with a deadline, collecting its
 * stdout and stderr. Output goes to a temporary file rather than a pipe so a chatty command cannot block
 * and a hung one cannot hold the caller past its deadline.
 */
final class Commands {

    /** Kept from the end of the output; enough for an error message or a {@code runc state} document. */
    static final int MAX_OUTPUT_BYTES = 16 * 1024;

    private static final Duration KILL_WAIT = Duration.ofSeconds(5);

    private Commands() {
    }

    /** What a finished command left behind. */
    record Result(List<String> argv, int exitCode, String output) {

        boolean succeeded() {
            return exitCode == 0;
        }

        /** This result if the command succeeded; otherwise a {@link CommandException} quoting its output. */
        Result orThrow() {
            if (exitCode != 0) {
                throw new CommandException(argv, exitCode, output);
            }
            return this;
        }
    }

    /** Runs {@code argv} and waits at most {@code timeout}; kills it (and its children) past that. */
    static Result run(Duration timeout, List<String> argv) {
        Path out = null;
        Process process = null;
        try {
            out = Files.createTempFile("flotilla-cmd-", ".out");
            process = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                destroy(process);
                throw CommandException.timedOut(argv, timeout, FileTail.read(out, MAX_OUTPUT_BYTES));
            }
            return new Result(List.copyOf(argv), process.exitValue(), FileTail.read(out, MAX_OUTPUT_BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run `" + String.join(" ", argv) + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(process);
            throw new ContainerRuntimeException("interrupted while running `" + String.join(" ", argv) + "`", e);
        } finally {
            deleteQuietly(out);
        }
    }

    private static void destroy(Process process) {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
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
        }
    }

    /** Reads the end of a text file. */
    static final class FileTail {

        private FileTail() {
        }

        static String read(Path file, int maxBytes) throws IOException {
            try (var channel = Files.newByteChannel(file)) {
                long size = channel.size();
                long start = Math.max(0, size - maxBytes);
                channel.position(start);
                var buffer = java.nio.ByteBuffer.allocate((int) (size - start));
                while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                    // read until full or end of file
                }
                return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            }
        }
    }
}
