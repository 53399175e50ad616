package dev.flotilla.dataplane.process;

import java.util.List;

/**
 * A command that left no exit code. Checked, so every caller of {@link CommandRunner} says in its
 * own words (and its own exception) what that means.
 */
public final class NotFinishedException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why there is no exit code. */
    public enum Reason {
        /** The program could not be started (missing, not executable); the cause says why. */
        NOT_STARTED,
        /** It outlived its deadline and was killed with its children. */
        TIMED_OUT,
        /** The calling thread was interrupted while waiting; the command was killed. */
        INTERRUPTED
    }

    private final Reason reason;
    private final List<String> command;
    private final String stdout;
    private final String stderr;

    NotFinishedException(Reason reason, List<String> command, String stdout, String stderr, Throwable cause) {
        super("`" + String.join(" ", command) + "`: " + reason + (cause == null ? "" : ": " + cause.getMessage()), cause);
        this.reason = reason;
        this.command = List.copyOf(command);
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public Reason reason() {
        return reason;
    }

    public List<String> command() {
        return command;
    }

    /** What it printed before it was killed (empty unless {@link Reason#TIMED_OUT}). */
    public String stdout() {
        return stdout;
    }

    /** What it printed on stderr before it was killed (empty unless {@link Reason#TIMED_OUT}). */
    public String stderr() {
        return stderr;
    }
}
