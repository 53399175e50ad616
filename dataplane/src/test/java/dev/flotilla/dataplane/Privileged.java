package dev.flotilla.dataplane;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.linux.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/** Test support: skip unless we may create namespaces; unique names the suite can always find and delete. */
public final class Privileged {

    private Privileged() {
    }

    public static void assumeRootWithIproute2() {
        assumeTrue(isRoot() && Native.isAvailable() && Files.isExecutable(Path.of("/usr/sbin/ip"))
                && Files.isExecutable(Path.of("/usr/bin/busybox")), "needs root, iproute2 and busybox");
    }

    /** {@code ft-dp-} plus 6 random hex digits: every test namespace is recognisable as ours. */
    public static String namespaceName() {
        return "ft-dp-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0x1000000));
    }

    private static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
