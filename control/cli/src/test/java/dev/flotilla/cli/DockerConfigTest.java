package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.api.v1.RegistryAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerConfigTest {

    @TempDir
    Path dir;

    private static RegistryAuth auth(String user, String password) {
        return RegistryAuth.newBuilder().setUsername(user).setPassword(password).build();
    }

    @Test
    void credentialsAreKeptAsTheDockerCliKeepsThemAndOtherKeysStay() throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"auths\":{\"other:5000\":{\"auth\":\"b3RoZXI6c2VjcmV0\"}},\"psFormat\":\"table {{.ID}}\"}");
        DockerConfig config = new DockerConfig(file);

        config.store("198.19.3.1:5444", auth("alice", "s3cret:with:colons"));

        assertThat(Files.readString(file)).contains("\"198.19.3.1:5444\"").contains("\"psFormat\"")
                .contains("\"auth\" : \"YWxpY2U6czNjcmV0OndpdGg6Y29sb25z\"").doesNotContain("s3cret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(config.credentials("198.19.3.1:5444")).contains(auth("alice", "s3cret:with:colons"));
        assertThat(config.credentials("other:5000")).contains(auth("other", "secret"));
        assertThat(config.credentials("nowhere:1")).isEmpty();

        assertThat(config.remove("198.19.3.1:5444")).isTrue();
        assertThat(config.remove("198.19.3.1:5444")).isFalse();
        assertThat(config.credentials("other:5000")).isPresent();
    }

    @Test
    void registriesAreNamedAsDockerNamesThem() {
        assertThat(DockerConfig.key(null)).isEqualTo(DockerConfig.DOCKER_HUB);
        assertThat(DockerConfig.key("docker.io")).isEqualTo(DockerConfig.DOCKER_HUB);
        assertThat(DockerConfig.key("https://Registry.Example:5000/v2/")).isEqualTo("registry.example:5000");
        assertThat(DockerConfig.registryOf("nginx:1.25")).isEqualTo(DockerConfig.DOCKER_HUB);
        assertThat(DockerConfig.registryOf("team/app")).isEqualTo(DockerConfig.DOCKER_HUB);
        assertThat(DockerConfig.registryOf("198.19.3.1:5444/team/web:1")).isEqualTo("198.19.3.1:5444");
        assertThat(DockerConfig.registryOf("localhost/web")).isEqualTo("localhost");
    }
}
