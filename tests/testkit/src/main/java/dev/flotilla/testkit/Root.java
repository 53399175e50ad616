package dev.flotilla.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Privileged tests: skipped (a JUnit assumption, so they show as skipped, not passed) unless this
 * process runs as root and the commands they drive are installed.
 */
public final class Root {

    /** Searched besides PATH: a root shell may have an sbin-less PATH. */
    private static final List<String> SYSTEM_DIRS = List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private Root() {
    }

    /** Whether the effective uid is 0 (the owner of /proc/self is the process's effective uid). */
    public static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Skips the calling test unless this process is root and each command (a name such as {@code ip},
     * {@code busybox}, {@code nft}) is an executable on PATH or in a system directory.
     */
    public static void assume(String... commands) {
        assumeTrue(isRoot(), () -> "needs root" + (commands.length == 0 ? "" : " and " + String.join(", ", commands)));
        List<String> missing = new ArrayList<>();
        for (String command : commands) {
            if (!installed(command)) {
                missing.add(command);
            }
        }
        assumeTrue(missing.isEmpty(), () -> "needs " + String.join(", ", missing) + " (not found on PATH)");
    }

    /** Whether {@code command} is an executable on PATH or in a system directory. */
    public static boolean installed(String command) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(File.pathSeparator)));
        }
        dirs.addAll(SYSTEM_DIRS);
        for (String dir : dirs) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
