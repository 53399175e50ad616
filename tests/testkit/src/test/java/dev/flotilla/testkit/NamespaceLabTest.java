package dev.flotilla.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Needs root and iproute2; skipped elsewhere. */
class NamespaceLabTest {

    @Test
    void closeDeletesEveryNamespaceEvenOnesAlreadyGone() {
        Root.assume("ip");
        String a;
        String b;
        try (NamespaceLab lab = new NamespaceLab("ft-tk")) {
            a = lab.namespace("a");
            b = lab.namespace("b");
            assertThat(a).startsWith(lab.prefix() + "-").endsWith("-a").startsWith("ft-tk-");
            assertThat(Path.of("/run/netns", a)).exists();
            assertThat(Path.of("/run/netns", b)).exists();
            Command.runChecked("ip", "netns", "delete", a);
        }
        assertThat(Path.of("/run/netns", a)).doesNotExist();
        assertThat(Path.of("/run/netns", b)).doesNotExist();
    }
}
