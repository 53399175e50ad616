package dev.flotilla.executor;

import java.time.Duration;
import java.util.List;

/** An external command (tar, cp, mount, runc) failed or ran past its deadline; the message quotes its output. */
public final class CommandException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The exit code reported when the command was killed at its deadline. */
    public static final int TIMED_OUT = -1;

    private final List<String> argv;
    private final int exitCode;
    private final String output;

    CommandException(List<String> argv, int exitCode, String output) {
        super("`" + String.join(" ", argv) + "` failed with exit code " + exitCode + describe(output));
        this.argv = List.copyOf(argv);
        this.exitCode = exitCode;
        this.output = output;
    }

    private CommandException(List<String> argv, Duration timeout, String output) {
        super("`" + String.join(" ", argv) + "` did not finish within " + timeout.toSeconds() + " s" + describe(output));
        this.argv = List.copyOf(argv);
        this.exitCode = TIMED_OUT;
        this.output = output;
    }

    static CommandException timedOut(List<String> argv, Duration timeout, String output) {
        return new CommandException(argv, timeout, output);
    }

    private static String describe(String output) {
        String trimmed = output.strip();
        return trimmed.isEmpty() ? "" : ": " + trimmed;
    }

    public List<String> argv() {
        return argv;
    }

    /** The command's exit code, or {@link #TIMED_OUT}. */
    public int exitCode() {
        return exitCode;
    }

    /** Its stdout and stderr, interleaved, truncated to the last few kilobytes. */
    public String output() {
        return output;
    }
}
