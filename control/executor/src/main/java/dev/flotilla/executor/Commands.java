package dev.flotilla.executor;

import dev.flotilla.dataplane.process.CommandRunner;
import dev.flotilla.dataplane.process.NotFinishedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** {@link CommandRunner} for tar, cp, mount and runc: nothing on stdin, and {@link CommandException}s. */
final class Commands {

    /** Kept from the end of the output; enough for an error message or a {@code runc state} document. */
    static final int MAX_OUTPUT_BYTES = 16 * 1024;

    private Commands() {
    }

    /** What a finished command left behind. */
    record Result(List<String> argv, int exitCode, String stdout, String stderr) {

        boolean succeeded() {
            return exitCode == 0;
        }

        /** Its stdout then its stderr, the last few kilobytes: what error messages quote. */
        String output() {
            return tail(stdout + stderr);
        }

        /** This result if the command succeeded; otherwise a {@link CommandException} quoting its output. */
        Result orThrow() {
            if (exitCode != 0) {
                throw new CommandException(argv, exitCode, output());
            }
            return this;
        }
    }

    /** Runs {@code argv} and waits at most {@code timeout}; kills it (and its children) past that. */
    static Result run(Duration timeout, List<String> argv) {
        return run(timeout, argv, null);
    }

    /** As {@link #run(Duration, List)}, with {@code stdin} (null: nothing) on its standard input. */
    static Result run(Duration timeout, List<String> argv, String stdin) {
        try {
            CommandRunner.Result r = CommandRunner.run(argv, stdin, timeout);
            return new Result(r.command(), r.exitCode(), r.stdout(), r.stderr());
        } catch (NotFinishedException e) {
            String command = String.join(" ", argv);
            throw switch (e.reason()) {
                case TIMED_OUT -> CommandException.timedOut(argv, timeout, tail(e.stdout() + e.stderr()));
                case NOT_STARTED -> new UncheckedIOException("cannot run `" + command + "`: " + e.getCause().getMessage(),
                        (IOException) e.getCause());
                case INTERRUPTED -> new ContainerRuntimeException("interrupted while running `" + command + "`", e);
            };
        }
    }

    private static String tail(String output) {
        byte[] bytes = output.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_OUTPUT_BYTES) {
            return output;
        }
        return new String(bytes, bytes.length - MAX_OUTPUT_BYTES, MAX_OUTPUT_BYTES, StandardCharsets.UTF_8);
    }
}
