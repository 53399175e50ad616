package dev.flotilla.dataplane.link;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Kernel parameters as seen from one network namespace: most of {@code net.*} is per namespace
 * (forwarding, {@code bridge-nf-call-iptables}, ...), and a process reads and writes the values
 * of the namespace it runs in, hence {@code ip netns exec NS sysctl}.
 */
public final class Sysctl {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./-]*");

    private final NetnsExec exec;

    private Sysctl(NetnsExec exec) {
        this.exec = exec;
    }

    /** @param netnsOrNull a name from {@code ip netns}, or {@code null} for the calling thread's namespace */
    public static Sysctl in(String netnsOrNull) {
        return new Sysctl(NetnsExec.in(netnsOrNull));
    }

    /** Sets {@code key} (e.g. {@code net.ipv4.ip_forward}) to {@code value}. */
    public void set(String key, String value) {
        if (value == null || value.isEmpty() || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("invalid value for sysctl " + key + ": '" + value + "'");
        }
        exec.run("sysctl", "-q", "-w", validateKey(key) + "=" + value).checked();
    }

    /** The current value of {@code key}, without the trailing newline. */
    public String get(String key) {
        return exec.run(List.of("sysctl", "-n", validateKey(key))).checked().stdout().strip();
    }

    private static String validateKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("invalid sysctl key: '" + key + "'");
        }
        return key;
    }
}
