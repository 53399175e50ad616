package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import org.junit.jupiter.api.Test;

class ResourceFlagsTest {

    @Test
    void cpusAreRationalNumbersOfWholeBillionths() {
        assertThat(ResourceFlags.nanoCpus("1.5", "--limit-cpu")).isEqualTo(1_500_000_000L);
        assertThat(ResourceFlags.nanoCpus("3/2", "--limit-cpu")).isEqualTo(1_500_000_000L);
        assertThat(ResourceFlags.nanoCpus("0.001", "--reserve-cpu")).isEqualTo(1_000_000L);
        assertThatThrownBy(() -> ResourceFlags.nanoCpus("two", "--limit-cpu")).hasMessage(
                "invalid argument \"two\" for \"--limit-cpu\" flag: failed to parse two as a rational number");
        assertThatThrownBy(() -> ResourceFlags.nanoCpus("0.0000000001", "--limit-cpu"))
                .hasMessageEndingWith("flag: value is too precise");
        assertThatThrownBy(() -> ResourceFlags.nanoCpus("1/3", "--limit-cpu")).hasMessageEndingWith("value is too precise");
    }

    @Test
    void memoryIsGoUnitsRamInBytes() {
        assertThat(ResourceFlags.ramInBytes("64m", "--limit-memory")).isEqualTo(64L << 20);
        assertThat(ResourceFlags.ramInBytes("64MiB", "--limit-memory")).isEqualTo(64L << 20);
        assertThat(ResourceFlags.ramInBytes("1.5g", "--limit-memory")).isEqualTo(3L << 29);
        assertThat(ResourceFlags.ramInBytes("512 KB", "--limit-memory")).isEqualTo(512L << 10);
        assertThat(ResourceFlags.ramInBytes("100", "--limit-memory")).isEqualTo(100);
        assertThat(ResourceFlags.ramInBytes("100b", "--limit-memory")).isEqualTo(100);
        assertThatThrownBy(() -> ResourceFlags.ramInBytes("lots", "--limit-memory"))
                .hasMessage("invalid argument \"lots\" for \"--limit-memory\" flag: invalid size: 'lots'");
        assertThatThrownBy(() -> ResourceFlags.ramInBytes("64x", "--limit-memory"))
                .hasMessageEndingWith("flag: invalid suffix: 'x'");
        assertThatThrownBy(() -> ResourceFlags.ramInBytes("64mb2", "--limit-memory")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ResourceFlags.ramInBytes("1.2.3m", "--limit-memory"))
                .hasMessageEndingWith("strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
    }

    @Test
    void onlyTheFlagsGivenChangeTheRequirements() {
        ResourceRequirements base = ResourceRequirements.newBuilder()
                .setLimits(Resources.newBuilder().setNanoCpus(2_000_000_000L).setMemoryBytes(1L << 30))
                .setReservations(Resources.newBuilder().setMemoryBytes(1L << 20)).build();
        ResourceFlags flags = new ResourceFlags();
        flags.limitMemory = "0";
        flags.reserveCpu = "0.5";
        ResourceRequirements after = flags.apply(base);
        assertThat(after.getLimits().getNanoCpus()).isEqualTo(2_000_000_000L);
        assertThat(after.getLimits().getMemoryBytes()).isZero();
        assertThat(after.getReservations().getNanoCpus()).isEqualTo(500_000_000L);
        assertThat(after.getReservations().getMemoryBytes()).isEqualTo(1L << 20);
        assertThat(new ResourceFlags().apply(ResourceRequirements.getDefaultInstance()))
                .isEqualTo(ResourceRequirements.getDefaultInstance());
    }
}
