package dev.flotilla.executor;

import java.util.Arrays;

/**
 * A file the node makes for a task from a secret or a config: where it lands in the container (an
 * absolute path, or for a secret a name under {@code /run/secrets}), its bytes, owner and mode.
 */
public record TaskFile(String target, byte[] data, int uid, int gid, int mode) {

    /** Where Docker puts a secret whose target is a bare name. */
    public static final String SECRETS_DIR = "/run/secrets";

    public TaskFile {
        if (target == null || target.isEmpty() || target.endsWith("/")
                || Arrays.asList(target.split("/")).contains("..")) {
            throw new IllegalArgumentException("invalid file target \"" + target + "\"");
        }
        data = data.clone();
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("invalid file mode " + Integer.toOctalString(mode));
        }
    }

    /** The path in the container. */
    public String destination() {
        return target.startsWith("/") ? target : SECRETS_DIR + "/" + target;
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskFile f && f.target.equals(target) && Arrays.equals(f.data, data) && f.uid == uid
                && f.gid == gid && f.mode == mode;
    }

    @Override
    public int hashCode() {
        return target.hashCode();
    }

    @Override
    public String toString() {
        // Never the bytes: a secret's value must not reach a log line.
        return "TaskFile[" + destination() + ", " + uid + ":" + gid + ", " + Integer.toOctalString(mode) + "]";
    }
}
