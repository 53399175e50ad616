package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {

    @ParameterizedTest
    @CsvSource({
            "busybox, busybox:latest",
            "busybox:1.36, busybox:1.36",
            "library/nginx, library/nginx:latest",
            "my-org/web.app_v2:Release-1.0, my-org/web.app_v2:Release-1.0",
            "a__b/c--d:_x, a__b/c--d:_x",
            "localhost:5000/busybox, localhost:5000/busybox:latest",
            "198.18.0.10:5000/team/web:1, 198.18.0.10:5000/team/web:1",
            "registry.example.com/web@sha256:a2d060dcafb412e18b8b48aa0c1f18781ca973715dec88b85ffdb1f86a1eef1c, "
                    + "registry.example.com/web@sha256:a2d060dcafb412e18b8b48aa0c1f18781ca973715dec88b85ffdb1f86a1eef1c",
            "nginx:1.25@sha256:a2d060dcafb412e18b8b48aa0c1f18781ca973715dec88b85ffdb1f86a1eef1c, "
                    + "nginx:1.25@sha256:a2d060dcafb412e18b8b48aa0c1f18781ca973715dec88b85ffdb1f86a1eef1c"})
    void normalizesLikeDocker(String reference, String normalized) {
        assertThat(ImageStore.normalize(reference)).isEqualTo(normalized);
    }

    @Test
    void splitsTagAfterTheLastSlashOnly() {
        ImageReference ref = ImageReference.parse("team/app:v1");
        assertThat(ref.name()).isEqualTo("team/app");
        assertThat(ref.tag()).isEqualTo("v1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Busybox", "busy box", "-busybox", "busybox-", "a//b", "/busybox", "busybox:",
            "busybox:-tag", "busybox:.tag", "busybox@sha256:abcd", "busy!box", "bad_host:5000/busybox",
            "host:port/busybox", "busybox@md5:0123"})
    void rejectsInvalidReferences(String reference) {
        assertThatThrownBy(() -> ImageStore.normalize(reference))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid image reference \"");
    }

    @Test
    void namesTheRegistryDockerHubByDefault() {
        assertThat(ImageReference.parse("nginx").registry()).isEqualTo("docker.io");
        assertThat(ImageReference.parse("team/app:v1").registry()).isEqualTo("docker.io");
        assertThat(ImageReference.parse("198.18.0.10:5000/web").registry()).isEqualTo("198.18.0.10:5000");
        assertThat(ImageReference.parse("localhost/web").registry()).isEqualTo("localhost");
        ImageReference pinned = ImageReference.parse("198.18.0.10:5000/web:1").withDigest("sha256:" + "ab".repeat(32));
        assertThat(pinned.exact()).isEqualTo("198.18.0.10:5000/web@sha256:" + "ab".repeat(32));
        assertThat(pinned.tagged()).isEqualTo("198.18.0.10:5000/web:1");
        assertThat(ImageReference.parse(pinned.toString())).isEqualTo(pinned);
    }

    @Test
    void explainsUppercase() {
        assertThatThrownBy(() -> ImageReference.parse("BusyBox"))
                .hasMessage("invalid image reference \"BusyBox:latest\": the name must be lowercase");
    }

    @Test
    void rejectsOverlongTag() {
        assertThatThrownBy(() -> ImageReference.parse("busybox:" + "t".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the tag must be 1 to 128");
    }
}
