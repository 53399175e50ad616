package dev.flotilla.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What works without privileges: opening, naming errors, handle lifecycle. */
class NetNsTest {

    @Test
    void missingNamespaceIsNamedInTheError() {
        assertThatThrownBy(() -> NetNs.open("ft-dp-does-not-exist"))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
                .hasMessageContaining("network namespace 'ft-dp-does-not-exist' does not exist");
    }

    @Test
    void namesThatEscapeTheNetnsDirectoryAreRejected() {
        assertThatThrownBy(() -> NetNs.open("../../proc/1/ns/net")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetNs.open("..")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetNs.open("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void currentHandleIsUsableUntilClosedAndCloseIsIdempotent() {
        NetNs ns = NetNs.current();
        assertThat(ns.fd()).isGreaterThanOrEqualTo(0);
        assertThat(Path.of("/proc/self/fd/" + ns.fd())).satisfies(p -> assertThat(Files.exists(p)).isTrue());
        ns.close();
        ns.close();
        assertThatThrownBy(ns::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(ns::enter).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void openPathReportsTheFailingPath() {
        assertThatThrownBy(() -> NetNs.openPath(Path.of("/nonexistent/ns")))
                .isInstanceOf(ErrnoException.class)
                .hasMessageContaining("/nonexistent/ns")
                .hasMessageContaining("No such file or directory");
    }
}
