package dev.flotilla.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.flotilla.testkit.Command;
import dev.flotilla.testkit.NamespaceLab;
import dev.flotilla.testkit.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Needs root and /dev/net/tun: real namespaces, real TAP devices. Skipped elsewhere. */
@Timeout(60)
class NetNsPrivilegedTest {

    private final NamespaceLab lab = new NamespaceLab("ft-dp");
    private String ns;

    @BeforeEach
    void createNamespace() {
        Root.assume("ip");
        assumeTrue(Native.isAvailable(), () -> "native calls unavailable: " + Native.unavailabilityCause());
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun");
        ns = lab.namespace("tap");
    }

    @AfterEach
    void deleteNamespace() {
        lab.close();
    }

    @Test
    void enterMovesOnlyTheCallingThread() throws Exception {
        String hostNs = currentNetnsLink();
        String inside = onFreshThread(() -> {
            try (NetNs handle = NetNs.open(ns)) {
                handle.enter();
            }
            return currentNetnsLink();
        });
        long nsInode = (Long) Files.getAttribute(Path.of("/run/netns", ns), "unix:ino");
        assertThat(inside).isEqualTo("net:[" + nsInode + "]");
        assertThat(currentNetnsLink()).isEqualTo(hostNs).isNotEqualTo(inside);
    }

    @Test
    void tapOpenedAfterEnteringLivesInThatNamespace() throws Exception {
        int fd = onFreshThread(() -> {
            try (NetNs handle = NetNs.open(ns)) {
                handle.enter();
            }
            return TunTap.openTap("fltap0", true);
        });
        try {
            TunTap.setOffload(fd, TunTap.TUN_F_CSUM | TunTap.TUN_F_TSO4 | TunTap.TUN_F_TSO6);
            TunTap.setVnetHdrSize(fd, 12);

            Command.Result inside = Command.run("ip", "-n", ns, "link", "show", "fltap0");
            assertThat(inside.exitCode()).as(inside.output()).isZero();
            assertThat(Command.run("ip", "link", "show", "fltap0").exitCode()).isNotZero();
        } finally {
            FileDescriptors.close(fd);
        }
        // Not persistent: the device goes with its last descriptor.
        assertThat(Command.run("ip", "-n", ns, "link", "show", "fltap0").exitCode()).isNotZero();
    }

    @Test
    void nonBlockingTapIsOpenedWithONonblock() throws Exception {
        int fd = onFreshThread(() -> {
            try (NetNs handle = NetNs.open(ns)) {
                handle.enter();
            }
            return TunTap.openTap("fltap1", false, true);
        });
        try {
            String flagsLine = Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                    .filter(line -> line.startsWith("flags:")).findFirst().orElseThrow();
            int flags = Integer.parseInt(flagsLine.substring("flags:".length()).strip(), 8);
            assertThat(flags & 04000).as("O_NONBLOCK in %s", flagsLine).isNotZero();
            assertThat(flags & 02000000).as("O_CLOEXEC in %s", flagsLine).isNotZero();
        } finally {
            FileDescriptors.close(fd);
        }
    }

    @Test
    void enteringRequiresANamespaceDescriptor() throws Exception {
        Path notANamespace = Files.createTempFile("ft-dp-", ".tmp");
        try (NetNs bogus = NetNs.openPath(notANamespace)) {
            assertThatThrownBy(() -> onFreshThread(() -> {
                bogus.enter();
                return null;
            })).hasRootCauseInstanceOf(ErrnoException.class)
                    .rootCause().hasMessageContaining("setns").hasMessageContaining("Invalid argument");
        } finally {
            Files.delete(notANamespace);
        }
    }

    @Test
    void unshareGivesTheThreadAFreshNamespace() throws Exception {
        String hostNs = currentNetnsLink();
        String[] seen = onFreshThread(() -> {
            try (NetNs fresh = NetNs.unshare()) {
                return new String[] {currentNetnsLink(), Files.readSymbolicLink(Path.of("/proc/self/fd/" + fresh.fd())).toString()};
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(seen[0]).isNotEqualTo(hostNs).isEqualTo(seen[1]);
    }

    /** Runs on a thread that dies afterwards, so a namespace it entered never leaks into test threads. */
    private static <T> T onFreshThread(Supplier<T> body) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(body.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "ft-dp-netns-test");
        thread.start();
        return result.get(10, TimeUnit.SECONDS);
    }

    private static String currentNetnsLink() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
