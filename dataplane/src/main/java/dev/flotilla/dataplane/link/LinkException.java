package dev.flotilla.dataplane.link;

import java.util.List;

/**
 * A configuration command failed, did not finish in time, or could not be started. The message
 * holds the command line and what the tool wrote to stderr, which is usually what a person needs
 * (e.g. {@code RTNETLINK answers: File exists}).
 */
public final class LinkException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** {@link #exitCode()} when the command never produced one (timeout, could not start). */
    public static final int NO_EXIT_CODE = -1;

    private final List<String> command;
    private final int exitCode;
    private final String stderr;

    LinkException(List<String> command, int exitCode, String stderr, String problem, Throwable cause) {
        super("`" + String.join(" ", command) + "` " + problem + (stderr.isBlank() ? "" : ": " + stderr.strip()), cause);
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public List<String> command() {
        return command;
    }

    /** The command's exit code, or {@link #NO_EXIT_CODE}. */
    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }
}
