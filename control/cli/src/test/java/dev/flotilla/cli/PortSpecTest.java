package dev.flotilla.cli;

import dev.flotilla.common.Durations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.PortConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PortSpecTest {

    @Test
    void parsesPublishedTargetAndProtocol() {
        PortConfig p = PortSpec.parse("8080:80");
        assertThat(p.getPublishedPort()).isEqualTo(8080);
        assertThat(p.getTargetPort()).isEqualTo(80);
        assertThat(p.getProtocol()).isEqualTo(PortConfig.Protocol.TCP);
        assertThat(PortSpec.parse("53:5353/udp").getProtocol()).isEqualTo(PortConfig.Protocol.UDP);
        assertThat(PortSpec.parse("80").getPublishedPort()).isZero();
        assertThat(PortSpec.format(p)).isEqualTo("*:8080->80/tcp");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "8080:", ":80", "8080:80/sctp", "70000:80", "8080:0", "1:2:3", "-1:80"})
    void refusesMalformedPorts(String text) {
        assertThatThrownBy(() -> PortSpec.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text.isEmpty() ? "invalid argument" : text);
    }

    @Test
    void replicasMustBeNonNegativeIntegers() {
        assertThat(Flags.replicas("0")).isZero();
        assertThat(Flags.replicas("12")).isEqualTo(12);
        assertThatThrownBy(() -> Flags.replicas("-1")).hasMessageContaining("\"-1\"");
        assertThatThrownBy(() -> Flags.replicas("two")).hasMessageContaining("--replicas");
    }

    @Test
    void durationsUseGoSyntax() {
        assertThat(Durations.parse("5s", "--restart-delay")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("1m30s", "--restart-delay")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("250ms", "--restart-delay")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> Durations.parse("5", "--restart-delay")).hasMessageContaining("invalid duration");
        assertThatThrownBy(() -> Durations.parse("5sx", "--restart-delay")).hasMessageContaining("invalid duration");
    }

    @Test
    void humanDurationsReadLikeDockers() {
        assertThat(Human.duration(Duration.ofMillis(300))).isEqualTo("Less than a second");
        assertThat(Human.duration(Duration.ofSeconds(22))).isEqualTo("22 seconds");
        assertThat(Human.duration(Duration.ofSeconds(70))).isEqualTo("About a minute");
        assertThat(Human.duration(Duration.ofMinutes(17))).isEqualTo("17 minutes");
    }

    @Test
    void imageChangesTakeExecAndShellForms() {
        assertThat(ImageChanges.command("[\"httpd\", \"-f\"]")).containsExactly("httpd", "-f");
        assertThat(ImageChanges.command("echo hi")).containsExactly("/bin/sh", "-c", "echo hi");
        assertThatThrownBy(() -> ImageChanges.command("[1, ")).isInstanceOf(IllegalArgumentException.class);
    }
}
