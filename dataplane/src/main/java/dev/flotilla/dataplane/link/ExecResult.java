package dev.flotilla.dataplane.link;

import java.util.List;

/**
 * How a command ended: exit code and everything it printed.
 *
 * @param command the argv that ran, including any {@code ip netns exec NS} prefix
 */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    public ExecResult {
        command = List.copyOf(command);
    }

    public boolean isSuccess() {
        return exitCode == 0;
    }

    /**
     * Returns this result if the command exited 0.
     *
     * @throws LinkException with the command and its stderr otherwise
     */
    public ExecResult checked() {
        if (exitCode != 0) {
            throw new LinkException(command, exitCode, stderr, "exited with " + exitCode, null);
        }
        return this;
    }
}
