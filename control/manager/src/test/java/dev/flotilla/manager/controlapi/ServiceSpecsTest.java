package dev.flotilla.manager.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.ServiceSpec;
import org.junit.jupiter.api.Test;

class ServiceSpecsTest {

    private static ServiceSpec withResources(Resources limits, Resources reservations) {
        return ServiceSpec.newBuilder().setName("web").setReplicas(1)
                .setContainer(ContainerSpec.newBuilder().setImage("busybox").setResources(ResourceRequirements.newBuilder()
                        .setLimits(limits).setReservations(reservations)))
                .build();
    }

    @Test
    void resourcesBelowSwarmkitsMinimumAreRefusedInItsWords() {
        assertThatThrownBy(() -> ServiceSpecs.validate(withResources(
                Resources.newBuilder().setNanoCpus(500_000).build(), Resources.getDefaultInstance())))
                .hasMessage("invalid cpu value 0.0005: Must be at least 0.001");
        assertThatThrownBy(() -> ServiceSpecs.validate(withResources(
                Resources.getDefaultInstance(), Resources.newBuilder().setMemoryBytes(1024).build())))
                .hasMessage("invalid memory value 1024: Must be at least 4MiB");
        assertThatThrownBy(() -> ServiceSpecs.validate(withResources(
                Resources.newBuilder().setPids(-1).build(), Resources.getDefaultInstance())))
                .hasMessageContaining("invalid pids limit -1");
    }

    @Test
    void resourcesAtTheMinimumAreKept() {
        ServiceSpec spec = withResources(Resources.newBuilder().setNanoCpus(1_000_000).setMemoryBytes(4L << 20)
                .setPids(10).build(), Resources.newBuilder().setNanoCpus(1_000_000_000).build());
        assertThat(ServiceSpecs.validate(spec).getContainer().getResources()).isEqualTo(spec.getContainer().getResources());
    }
}
