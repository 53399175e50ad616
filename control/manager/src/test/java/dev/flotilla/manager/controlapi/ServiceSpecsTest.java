package dev.flotilla.manager.controlapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.ContainerSpec;
import dev.flotilla.api.v1.Mount;
import dev.flotilla.api.v1.ResourceRequirements;
import dev.flotilla.api.v1.Resources;
import dev.flotilla.api.v1.ServiceSpec;
import java.util.List;
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

    private static ServiceSpec withMounts(Mount... mounts) {
        return ServiceSpec.newBuilder().setName("web").setReplicas(1)
                .setContainer(ContainerSpec.newBuilder().setImage("busybox").addAllMounts(List.of(mounts))).build();
    }

    private static Mount mount(Mount.Type type, String source, String target) {
        return Mount.newBuilder().setType(type).setSource(source).setTarget(target).build();
    }

    @Test
    void mountsAreCheckedInDockersWords() {
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.VOLUME, "data", "data"))))
                .hasMessage("invalid mount target, must be an absolute path: data");
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.BIND, "srv", "/srv"))))
                .hasMessage("invalid bind mount source, must be an absolute path: srv");
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.VOLUME, "/srv", "/srv"))))
                .hasMessage("invalid volume mount source, must not be an absolute path: /srv");
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.TMPFS, "x", "/t"))))
                .hasMessage("invalid tmpfs source, source must be empty");
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.VOLUME, "a1", "/data"),
                mount(Mount.Type.TMPFS, "", "/data/"))))
                .hasMessage("invalid duplicate mount point: /data/");
        assertThatThrownBy(() -> ServiceSpecs.validate(withMounts(mount(Mount.Type.BIND, "/srv", "/srv").toBuilder()
                .setBindPropagation("sideways").build())))
                .hasMessage("invalid mount config for type \"bind\": invalid propagation mode: sideways");
    }

    @Test
    void validMountsAreKept() {
        ServiceSpec spec = withMounts(mount(Mount.Type.VOLUME, "", "/scratch"), mount(Mount.Type.BIND, "/srv", "/srv"),
                mount(Mount.Type.TMPFS, "", "/run/cache"));
        assertThat(ServiceSpecs.validate(spec).getContainer().getMountsList()).isEqualTo(spec.getContainer().getMountsList());
    }
}
