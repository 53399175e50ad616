package dev.flotilla.dataplane.link;

import dev.flotilla.dataplane.process.CommandRunner;
import dev.flotilla.dataplane.process.NotFinishedException;
import java.time.Duration;
import java.util.List;

/** {@link CommandRunner} for configuration commands: a 10 s default deadline, and {@link LinkException}s. */
final class LinkCommands {

    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private LinkCommands() {
    }

    /** Runs {@code argv}; never throws for a non-zero exit, only when there is no exit code at all. */
    static ExecResult run(List<String> argv, String stdin, Duration timeout) {
        try {
            CommandRunner.Result r = CommandRunner.run(argv, stdin, timeout);
            return new ExecResult(r.command(), r.exitCode(), r.stdout(), r.stderr());
        } catch (NotFinishedException e) {
            String problem = switch (e.reason()) {
                case TIMED_OUT -> "did not finish within " + timeout.toMillis() + " ms and was killed";
                case NOT_STARTED -> "could not run: " + e.getCause().getMessage();
                case INTERRUPTED -> "was interrupted";
            };
            throw new LinkException(argv, LinkException.NO_EXIT_CODE, e.stderr(), problem, e.getCause());
        }
    }

    /** Runs {@code argv} with the default timeout and throws unless it exits 0. */
    static ExecResult runChecked(List<String> argv) {
        return run(argv, null, DEFAULT_TIMEOUT).checked();
    }
}
