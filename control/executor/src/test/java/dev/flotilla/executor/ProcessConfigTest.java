package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessConfigTest {

    private static final String ID = "ab".repeat(32);

    @Test
    void taskArgsWinOverTheImageCommand() {
        ProcessConfig process = ProcessConfig.of(spec(List.of("httpd", "-f"), List.of()),
                image(new ImageConfig(List.of("sh"), List.of(), null)));

        assertThat(process.args()).containsExactly("httpd", "-f");
        assertThat(process.cwd()).isEqualTo("/");
    }

    @Test
    void emptyArgsFallBackToTheImageCommandAndWorkingDir() {
        ProcessConfig process = ProcessConfig.of(spec(List.of(), List.of()),
                image(new ImageConfig(List.of("sh", "-c", "true"), List.of(), "/srv")));

        assertThat(process.args()).containsExactly("sh", "-c", "true");
        assertThat(process.cwd()).isEqualTo("/srv");
    }

    @Test
    void noCommandAnywhereIsAnErrorNamingTheImage() {
        assertThatThrownBy(() -> ProcessConfig.of(spec(List.of(), List.of()), image(ImageConfig.EMPTY)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no command for container web.1.x")
                .hasMessageContaining("busybox:latest");
    }

    @Test
    void taskEnvOverridesImageEnvAndPathDefaultsLikeDocker() {
        ProcessConfig process = ProcessConfig.of(spec(List.of("sh"), List.of("B=task", "C=c=d")),
                image(new ImageConfig(List.of(), List.of("A=image", "B=image"), null)));

        assertThat(process.env()).containsExactly(
                "PATH=" + ProcessConfig.DEFAULT_PATH, "HOSTNAME=" + ID.substring(0, 12), "A=image", "B=task", "C=c=d");
    }

    @Test
    void imagePathReplacesTheDefault() {
        ProcessConfig process = ProcessConfig.of(spec(List.of("sh"), List.of()),
                image(new ImageConfig(List.of(), List.of("PATH=/opt/bin"), null)));

        assertThat(process.env()).contains("PATH=/opt/bin").doesNotContain("PATH=" + ProcessConfig.DEFAULT_PATH);
    }

    @Test
    void specRejectsBadIdsAndEnv() {
        assertThatThrownBy(() -> new ContainerSpec("../etc", "n", "busybox", null, null, null, null, null, null))
                .hasMessageContaining("expected 64 lowercase hex characters");
        assertThatThrownBy(() -> new ContainerSpec(ID, "n", "busybox", null, List.of("NOVALUE"), null, null, null, null))
                .hasMessageContaining("expected KEY=VALUE");
        assertThatThrownBy(() -> new ContainerSpec(ID, "n", "Busybox", null, null, null, null, null, null))
                .hasMessageContaining("must be lowercase");
    }

    private static ContainerSpec spec(List<String> args, List<String> env) {
        return new ContainerSpec(ID, "web.1.x", "busybox", args, env, null, null, Map.of(), null);
    }

    private static Image image(ImageConfig config) {
        return new Image("busybox:latest", "sha256:" + "0".repeat(64), Path.of("/nonexistent"), config, Instant.EPOCH, 0);
    }
}
