package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeMountsTest {

    @TempDir
    Path tmp;

    @Test
    void ociMountsHaveMobysOptions() {
        List<Map<String, Object>> mounts = VolumeMounts.oci(List.of(
                MountSpec.tmpfs("/var/cache/app/", 64L << 20, 01777),
                new MountSpec(MountSpec.Type.BIND, "/srv/www", "/var", true, false, Map.of(), null, 0, 0, "rshared"),
                MountSpec.volume("data", "/data")), m -> Path.of("/vol/data/_data"));

        assertThat(mounts).extracting(m -> m.get("destination")).containsExactly("/var/cache/app", "/var", "/data");
        assertThat(mounts.get(1)).containsEntry("type", "bind").containsEntry("source", "/srv/www")
                .containsEntry("options", List.of("rbind", "rshared", "ro"));
        assertThat(mounts.get(2)).containsEntry("source", "/vol/data/_data")
                .containsEntry("options", List.of("rbind", "rprivate"));
        assertThat(mounts.get(0)).containsEntry("type", "tmpfs")
                .containsEntry("options", List.of("noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=64m"));
    }

    @Test
    void tmpfsSizesTakeMobysLargestEvenSuffix() {
        assertThat(VolumeMounts.tmpfsSize(1L << 30)).isEqualTo("1g");
        assertThat(VolumeMounts.tmpfsSize(3L << 20)).isEqualTo("3m");
        assertThat(VolumeMounts.tmpfsSize(1536L << 10)).isEqualTo("1536k");
        assertThat(VolumeMounts.tmpfsSize(1000)).isEqualTo("1000");
    }

    @Test
    void anAnonymousVolumeIsNamedAfterItsContainerAndTarget() {
        String id = TestRootfs.randomContainerId();
        String a = VolumeMounts.volumeName(id, MountSpec.volume("", "/data"));

        assertThat(a).matches("[0-9a-f]{64}");
        assertThat(VolumeMounts.volumeName(id, MountSpec.volume("", "/data/"))).as("the same target").isEqualTo(a);
        assertThat(VolumeMounts.volumeName(TestRootfs.randomContainerId(), MountSpec.volume("", "/data"))).isNotEqualTo(a);
        assertThat(VolumeMounts.volumeName(id, MountSpec.volume("named", "/data"))).isEqualTo("named");
    }

    @Test
    void aNewVolumeIsFilledFromTheImageButNotThroughASymlinkNorWhenItHasData() throws IOException {
        Path image = Files.createDirectories(tmp.resolve("image"));
        Files.createDirectories(image.resolve("var/lib/app"));
        Files.writeString(image.resolve("var/lib/app/seed"), "seed");
        Files.createSymbolicLink(image.resolve("escape"), Path.of("/etc"));
        Path fresh = Files.createDirectory(tmp.resolve("fresh"));
        Path used = Files.createDirectory(tmp.resolve("used"));
        Files.writeString(used.resolve("mine"), "mine");
        Path linked = Files.createDirectory(tmp.resolve("linked"));

        VolumeMounts.fill(image, MountSpec.volume("va", "/var/lib/app"), fresh);
        VolumeMounts.fill(image, MountSpec.volume("vb", "/var/lib/app"), used);
        VolumeMounts.fill(image, MountSpec.volume("vc", "/escape"), linked);

        assertThat(fresh.resolve("seed")).hasContent("seed");
        assertThat(used).isDirectoryNotContaining("glob:**/seed");
        assertThat(linked).as("nothing of the node's /etc").isEmptyDirectory();
    }

    @Test
    void checkRefusesAMissingBindSourceAndAnotherDriver() throws IOException {
        Path there = Files.createDirectory(tmp.resolve("there"));
        VolumeMounts.check(List.of(MountSpec.bind(there.toString(), "/srv", false)));

        assertThatThrownBy(() -> VolumeMounts.check(List.of(MountSpec.bind("/no/such/dir", "/srv", false))))
                .hasMessage("invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir");
        assertThatThrownBy(() -> VolumeMounts.check(List.of(new MountSpec(MountSpec.Type.VOLUME, "vv", "/v", false, false,
                Map.of(), "rexray", 0, 0, null))))
                .hasMessage("error looking up volume plugin rexray: plugin \"rexray\" not found");
    }

    @Test
    void mountSpecsFollowDockersRules() {
        assertThatThrownBy(() -> MountSpec.volume("data", "data"))
                .hasMessage("invalid mount target, must be an absolute path: data");
        assertThatThrownBy(() -> MountSpec.bind("relative", "/x", false))
                .hasMessage("invalid bind mount source, must be an absolute path: relative");
        assertThatThrownBy(() -> MountSpec.volume("/abs", "/x"))
                .hasMessage("invalid volume mount source, must not be an absolute path: /abs");
        assertThatThrownBy(() -> MountSpec.volume("va", "/x/.."))
                .hasMessage("invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
        assertThatThrownBy(() -> MountSpec.volume("bad/name", "/x"))
                .hasMessageStartingWith("\"bad/name\" includes invalid characters for a local volume name");
        assertThat(MountSpec.volume("va", "/x/../y/").normalizedTarget()).isEqualTo("/y");
    }
}
