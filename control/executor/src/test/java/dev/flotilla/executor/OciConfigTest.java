package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OciConfigTest {

    private static final String ID = "cd".repeat(32);

    @Test
    void describesADockerLikeContainerInTheGivenNetworkNamespace() {
        ContainerSpec spec = new ContainerSpec(ID, "web.1.x", "busybox", List.of("httpd", "-f", "-p", "80"), List.of(),
                null, Path.of("/run/netns/fl-task-abc"), Map.of("task", "t1"), null);
        Bundle bundle = Bundle.of(Path.of("/var/lib/flotilla/containers"), ID);
        ProcessConfig process = new ProcessConfig(spec.args(), List.of("PATH=/bin"), "/");

        JsonNode config = Json.MAPPER.valueToTree(OciConfig.build(spec, process, bundle, Path.of("/tmp/resolv.conf")));

        assertThat(config.at("/process/terminal").asBoolean()).isFalse();
        assertThat(config.at("/process/args/0").asText()).isEqualTo("httpd");
        assertThat(config.at("/root/path").asText()).isEqualTo(bundle.rootfs().toString());
        assertThat(config.at("/root/readonly").asBoolean(true)).isFalse();
        assertThat(config.at("/hostname").asText()).isEqualTo(ID.substring(0, 12));
        assertThat(texts(config.at("/process/capabilities/bounding"))).contains("CAP_NET_BIND_SERVICE", "CAP_KILL")
                .doesNotContain("CAP_SYS_ADMIN", "CAP_NET_ADMIN");
        assertThat(config.at("/process/rlimits/0/type").asText()).isEqualTo("RLIMIT_NOFILE");
        assertThat(config.at("/process/rlimits/0/hard").asLong()).isBetween(1024L, 1_048_576L);
        assertThat(config.at("/linux/namespaces").findValuesAsText("type"))
                .containsExactly("pid", "ipc", "uts", "mount", "network");
        assertThat(config.at("/linux/namespaces/4/path").asText()).isEqualTo("/run/netns/fl-task-abc");
        assertThat(texts(config.at("/linux/maskedPaths"))).contains("/proc/kcore");
        assertThat(config.at("/mounts").findValuesAsText("destination"))
                .contains("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                        "/etc/resolv.conf", "/etc/hostname", "/etc/hosts");
    }

    @Test
    void withoutANetnsPathRuncMakesANewNamespace() {
        ContainerSpec spec = new ContainerSpec(ID, "n", "busybox", List.of("sh"), null, null, null, null, null);
        JsonNode config = Json.MAPPER.valueToTree(OciConfig.build(spec,
                new ProcessConfig(List.of("sh"), List.of(), "/"), Bundle.of(Path.of("/x"), ID), Path.of("/r")));

        assertThat(config.at("/linux/namespaces/4/type").asText()).isEqualTo("network");
        assertThat(config.at("/linux/namespaces/4").has("path")).isFalse();
    }

    @Test
    void limitsBecomeTheCgroupValuesDockerSets() {
        JsonNode r = Json.MAPPER.valueToTree(OciConfig.resources(new ResourceLimits(1_500_000_000L, 64L << 20, 50)));
        assertThat(r.at("/memory/limit").asLong()).isEqualTo(64L << 20);
        assertThat(r.at("/memory/swap").asLong()).isEqualTo(128L << 20);
        assertThat(r.at("/cpu/quota").asLong()).isEqualTo(150_000);
        assertThat(r.at("/cpu/period").asLong()).isEqualTo(100_000);
        assertThat(r.at("/pids/limit").asLong()).isEqualTo(50);

        JsonNode none = Json.MAPPER.valueToTree(OciConfig.resources(ResourceLimits.NONE));
        assertThat(none.has("memory") || none.has("cpu") || none.has("pids")).isFalse();
        assertThat(none.at("/devices/0/allow").asBoolean(true)).isFalse();
    }

    private static List<String> texts(JsonNode array) {
        return Json.MAPPER.convertValue(array, Json.MAPPER.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    @Test
    void eachSecretIsBoundReadOnlyFromTheBundlesTmpfsToItsPlace() {
        List<TaskFile> secrets = List.of(new TaskFile("db_password", new byte[] {1}, 0, 0, 0444),
                new TaskFile("/etc/app/key", new byte[] {2}, 1000, 1000, 0400));
        ContainerSpec spec = new ContainerSpec(ID, "n", "busybox", List.of("sh"), null, null, null, null, null, false,
                null, secrets, null);
        Bundle bundle = Bundle.of(Path.of("/x"), ID);
        JsonNode mounts = Json.MAPPER.valueToTree(OciConfig.build(spec,
                new ProcessConfig(List.of("sh"), List.of(), "/"), bundle, Path.of("/r"))).get("mounts");

        List<JsonNode> binds = new java.util.ArrayList<>();
        mounts.forEach(m -> {
            if (m.get("source").asText().startsWith(bundle.secrets().toString())) {
                binds.add(m);
            }
        });
        assertThat(binds).extracting(m -> m.get("destination").asText())
                .containsExactly("/run/secrets/db_password", "/etc/app/key");
        assertThat(binds).allSatisfy(m -> assertThat(m.get("options").toString()).contains("\"ro\"", "\"rbind\""));
        assertThat(secrets.get(0).toString()).as("never the value").doesNotContain("[1]");
    }

    @Test
    void twoSecretsAtOnePlaceAreRefused() {
        List<TaskFile> clash = List.of(new TaskFile("pw", new byte[] {1}, 0, 0, 0444),
                new TaskFile("/run/secrets/pw", new byte[] {2}, 0, 0, 0444));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ContainerSpec(ID, "n", "busybox", List.of("sh"),
                null, null, null, null, null, false, null, clash, null)).hasMessageContaining("land at /run/secrets/pw");
    }

    @Test
    void mountsAreInDepthOrderSoTheGeneratedFilesAndSecretsLandOnTopOfAVolume() {
        ContainerSpec spec = new ContainerSpec(ID, "n", "busybox", List.of("sh"), null, null, null, null, null, false,
                null, List.of(new TaskFile("db_pw", new byte[] {1}, 0, 0, 0444)), List.of(),
                List.of(MountSpec.volume("etc-data", "/etc"), MountSpec.tmpfs("/run", 0, 0)));
        JsonNode config = Json.MAPPER.valueToTree(OciConfig.build(spec, new ProcessConfig(List.of("sh"), List.of(), "/"),
                Bundle.of(Path.of("/x"), ID), Path.of("/r"), VolumeMounts.oci(spec.mounts(), m -> Path.of("/v/_data"))));

        List<String> destinations = new java.util.ArrayList<>();
        config.at("/mounts").forEach(m -> destinations.add(m.at("/destination").asText()));
        assertThat(destinations).containsSubsequence("/etc", "/etc/resolv.conf", "/etc/hostname", "/etc/hosts");
        assertThat(destinations).containsSubsequence("/run", "/run/secrets/db_pw");
        assertThat(destinations).containsSubsequence("/dev", "/dev/pts");
    }
}
