package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.SecretReference;
import java.util.List;
import org.junit.jupiter.api.Test;

class FileRefOptionTest {

    @Test
    void aBareNameGetsDockersDefaults() {
        SecretReference r = FileRefOption.secret("db_password");
        assertThat(r.getSecretName()).isEqualTo("db_password");
        assertThat(r.getFile()).isEqualTo(FileTarget.newBuilder().setName("db_password").setUid("0").setGid("0")
                .setMode(0444).build());
    }

    @Test
    void theLongFormNamesTargetOwnerAndModeInGosNotation() {
        SecretReference r = FileRefOption.secret("src=db_password,target=/etc/app/pw,uid=1000,gid=2000,mode=0400");
        assertThat(r.getSecretName()).isEqualTo("db_password");
        assertThat(r.getFile()).isEqualTo(FileTarget.newBuilder().setName("/etc/app/pw").setUid("1000").setGid("2000")
                .setMode(0400).build());
        assertThat(FileRefOption.secret("source=a,mode=292").getFile().getMode()).as("decimal").isEqualTo(0444);
        assertThat(FileRefOption.secret("source=a,mode=0o440").getFile().getMode()).isEqualTo(0440);
        assertThat(FileRefOption.secret("source=a").getFile().getName()).isEqualTo("a");
        assertThat(FileRefOption.secret("\"source=a,b\",target=c").getSecretName()).as("CSV quoting").isEqualTo("a,b");
    }

    @Test
    void badValuesGetDockersMessages() {
        assertThatThrownBy(() -> FileRefOption.secret("source=a,owner=me")).hasMessage(
                "invalid argument \"source=a,owner=me\" for \"--secret\" flag: invalid field in secret request: owner");
        assertThatThrownBy(() -> FileRefOption.secret("target=x")).hasMessageEndingWith("source is required");
        assertThatThrownBy(() -> FileRefOption.secret("source=a,mode")).hasMessageEndingWith(
                "invalid field 'mode' must be a key=value pair");
        assertThatThrownBy(() -> FileRefOption.secret("source=a,mode=rw")).hasMessageEndingWith(
                "invalid mode specified: strconv.ParseUint: parsing \"rw\": invalid syntax");
        assertThatThrownBy(() -> FileRefOption.secrets(List.of("source=a,target=x", "source=b,target=x")))
                .hasMessage("duplicate secret target for b not allowed");
    }

    @Test
    void anUpdateRemovesByNameThenAdds() {
        List<SecretReference> current = FileRefOption.secrets(List.of("a", "source=b,target=t"));
        List<SecretReference> next = FileRefOption.updateSecrets(current, List.of("source=c,target=t"), List.of("a"));
        assertThat(next).extracting(SecretReference::getSecretName).containsExactly("c");
        assertThat(FileRefOption.updateSecrets(current, List.of("d"), List.of())).extracting(SecretReference::getSecretName)
                .containsExactly("a", "b", "d");
    }

    @Test
    void aConfigIsReadAlikeWithItsOwnWords() {
        dev.flotilla.api.v1.ConfigReference r = FileRefOption.config("source=nginx_conf,target=/etc/nginx/nginx.conf");
        assertThat(r.getConfigName()).isEqualTo("nginx_conf");
        assertThat(r.getFile().getName()).isEqualTo("/etc/nginx/nginx.conf");
        assertThat(FileRefOption.config("app").getFile().getName()).isEqualTo("app");
        assertThatThrownBy(() -> FileRefOption.config("source=a,owner=me")).hasMessage(
                "invalid argument \"source=a,owner=me\" for \"--config\" flag: invalid field in config request: owner");
        assertThatThrownBy(() -> FileRefOption.configs(List.of("source=a,target=x", "source=b,target=x")))
                .hasMessage("duplicate config target for b not allowed");
        assertThat(FileRefOption.updateConfigs(FileRefOption.configs(List.of("a", "b")), List.of(), List.of("a")))
                .extracting(dev.flotilla.api.v1.ConfigReference::getConfigName).containsExactly("b");
    }
}
