package dev.flotilla.dataplane.link;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs arbitrary commands inside a named network namespace ({@code ip netns exec NS ...}), or in
 * the calling thread's namespace when the namespace is {@code null}. Immutable and thread-safe.
 *
 * <p>Never a shell: the argv goes to the kernel as is, so nothing in it is interpreted.
 */
public final class NetnsExec {

    private final String netns;

    private NetnsExec(String netns) {
        this.netns = netns == null ? null : Netns.validateName(netns);
    }

    /** @param netnsOrNull a name from {@code ip netns}, or {@code null} for the calling thread's namespace */
    public static NetnsExec in(String netnsOrNull) {
        return new NetnsExec(netnsOrNull);
    }

    /** The namespace name, or {@code null} for the calling thread's. */
    public String netns() {
        return netns;
    }

    /** Runs {@code argv} with the default 10 s deadline; a non-zero exit is a result, not an error. */
    public ExecResult run(String... argv) {
        return run(List.of(argv));
    }

    public ExecResult run(List<String> argv) {
        return run(argv, null, LinkCommands.DEFAULT_TIMEOUT);
    }

    /**
     * Runs {@code argv}, feeding it {@code stdin} (or nothing when {@code null}).
     *
     * @throws LinkException only when the command cannot start or outlives {@code timeout} (it is killed)
     */
    public ExecResult run(List<String> argv, String stdin, Duration timeout) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("empty command");
        }
        return LinkCommands.run(command(argv), stdin, timeout);
    }

    private List<String> command(List<String> argv) {
        if (netns == null) {
            return argv;
        }
        List<String> command = new ArrayList<>(argv.size() + 4);
        command.addAll(List.of("ip", "netns", "exec", netns));
        command.addAll(argv);
        return command;
    }

    @Override
    public String toString() {
        return netns == null ? "NetnsExec(current)" : "NetnsExec(" + netns + ")";
    }
}
