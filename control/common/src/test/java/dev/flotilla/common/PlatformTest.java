package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PlatformTest {

    @Test
    void theJvmsArchitectureIsNamedAsUnameNamesIt() {
        assertThat(Platform.arch("amd64")).isEqualTo("x86_64");
        assertThat(Platform.arch("aarch64")).isEqualTo("aarch64");
        assertThat(Platform.os()).isEqualTo("linux");
    }
}
