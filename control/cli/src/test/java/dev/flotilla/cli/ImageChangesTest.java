package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.HealthConfig;
import dev.flotilla.api.v1.ImportImageRequest;
import org.junit.jupiter.api.Test;

class ImageChangesTest {

    @Test
    void aShellFormHealthcheckWithOptionsIsCmdShell() {
        HealthConfig h = ImageChanges.healthcheck("--interval=1s --timeout=500ms --start-period=2m --retries=2 CMD test -f /tmp/ok");
        assertThat(h.getTestList()).containsExactly("CMD-SHELL", "test -f /tmp/ok");
        assertThat(h.getIntervalMs()).isEqualTo(1000);
        assertThat(h.getTimeoutMs()).isEqualTo(500);
        assertThat(h.getStartPeriodMs()).isEqualTo(120_000);
        assertThat(h.getRetries()).isEqualTo(2);
    }

    @Test
    void anExecFormHealthcheckIsCmdWithItsArgumentsAndNoneDisablesIt() {
        assertThat(ImageChanges.healthcheck("CMD [\"wget\", \"-q\", \"http://127.0.0.1/\"]").getTestList())
                .containsExactly("CMD", "wget", "-q", "http://127.0.0.1/");
        assertThat(ImageChanges.healthcheck("NONE").getTestList()).containsExactly("NONE");
        ImportImageRequest.Builder request = ImportImageRequest.newBuilder();
        ImageChanges.apply("healthcheck CMD true", request);
        assertThat(request.getHealthcheck().getTestList()).containsExactly("CMD-SHELL", "true");
    }

    @Test
    void badHealthchecksAreRefusedWithTheReason() {
        assertThatThrownBy(() -> ImageChanges.healthcheck("--interval=1s")).hasMessageContaining("needs CMD and a command");
        assertThatThrownBy(() -> ImageChanges.healthcheck("--interval CMD true")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> ImageChanges.healthcheck("--every=1s CMD true")).hasMessageContaining("Unknown flag: every");
        assertThatThrownBy(() -> ImageChanges.healthcheck("--interval=soon CMD true")).hasMessageContaining("invalid duration");
    }
}
