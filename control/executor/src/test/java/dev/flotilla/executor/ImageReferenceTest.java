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
            "a__b/c--d:_x, a__b/c--d:_x"})
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
            "busybox:-tag", "busybox:.tag", "busybox@sha256:abcd", "busy!box", "localhost:5000/busybox"})
    void rejectsInvalidReferences(String reference) {
        assertThatThrownBy(() -> ImageStore.normalize(reference))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid image reference \"");
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
