package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlatformTest {

    @Test
    void theJvmsArchitectureIsNamedAsUnameNamesIt() {
        assertThat(Platform.arch("amd64")).isEqualTo("x86_64");
        assertThat(Platform.arch("aarch64")).isEqualTo("aarch64");
        assertThat(Platform.os()).isEqualTo("linux");
    }

    @Test
    void memoryIsMemTotalInBytes() {
        assertThat(Platform.memTotal(List.of("MemTotal:       24558180 kB", "MemFree:  1 kB")))
                .isEqualTo(24558180L * 1024);
        assertThat(Platform.memoryBytes()).isPositive();
        assertThat(Platform.nanoCpus()).isEqualTo(Runtime.getRuntime().availableProcessors() * 1_000_000_000L);
    }
}
