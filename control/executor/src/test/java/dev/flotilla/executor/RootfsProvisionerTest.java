package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootfsProvisionerTest {

    private static final String ID = "ef".repeat(32);

    @TempDir
    Path tmp;

    @Test
    void copyModeGivesEachContainerAPrivateCopy() throws Exception {
        Path image = TestRootfs.tiny(tmp.resolve("image"), "hello");
        Bundle bundle = bundle();
        RootfsProvisioner copy = new RootfsProvisioner(RootfsProvisioner.Mode.COPY);

        copy.provision(image, bundle);
        Files.writeString(bundle.rootfs().resolve("etc/motd"), "changed");

        assertThat(image.resolve("etc/motd")).hasContent("hello");
        assertThat(Files.isSymbolicLink(bundle.rootfs().resolve("motd"))).isTrue();
        copy.release(bundle);
        FileTrees.deleteRecursively(bundle.dir());
        assertThat(bundle.dir()).doesNotExist();
    }

    @Test
    void overlayModeWritesToTheUpperLayerAndReleaseUnmounts() throws Exception {
        Root.assume();
        Path image = TestRootfs.tiny(tmp.resolve("image"), "hello");
        Bundle bundle = bundle();
        RootfsProvisioner overlay = new RootfsProvisioner(RootfsProvisioner.Mode.OVERLAY);

        overlay.provision(image, bundle);
        try {
            Files.writeString(bundle.rootfs().resolve("etc/motd"), "changed");
            assertThat(Mounts.isMountPoint(bundle.rootfs())).isTrue();
            assertThat(bundle.upper().resolve("etc/motd")).hasContent("changed");
            assertThat(image.resolve("etc/motd")).hasContent("hello");
        } finally {
            overlay.release(bundle);
        }
        assertThat(Mounts.under(bundle.dir())).isEmpty();
        FileTrees.deleteRecursively(bundle.dir());
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertThat(Mounts.unescape("/var/lib/my\\040dir\\134x")).isEqualTo("/var/lib/my dir\\x");
        assertThat(Mounts.unescape("/plain")).isEqualTo("/plain");
    }

    private Bundle bundle() throws Exception {
        Bundle bundle = Bundle.of(tmp.resolve("containers"), ID);
        Files.createDirectories(bundle.dir());
        return bundle;
    }
}
