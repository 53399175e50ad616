package dev.flotilla.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.api.v1.FileTarget;
import dev.flotilla.api.v1.SecretReference;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretOptionTest {

    @Test
    void aBareNameGetsDockersDefaults() {
        SecretReference r = SecretOption.parse("db_password");
        assertThat(r.getSecretName()).isEqualTo("db_password");
        assertThat(r.getFile()).isEqualTo(FileTarget.newBuilder().setName("db_password").setUid("0").setGid("0")
                .setMode(0444).build());
    }

    @Test
    void theLongFormNamesTargetOwnerAndModeInGosNotation() {
        SecretReference r = SecretOption.parse("src=db_password,target=/etc/app/pw,uid=1000,gid=2000,mode=0400");
        assertThat(r.getSecretName()).isEqualTo("db_password");
        assertThat(r.getFile()).isEqualTo(FileTarget.newBuilder().setName("/etc/app/pw").setUid("1000").setGid("2000")
                .setMode(0400).build());
        assertThat(SecretOption.parse("source=a,mode=292").getFile().getMode()).as("decimal").isEqualTo(0444);
        assertThat(SecretOption.parse("source=a,mode=0o440").getFile().getMode()).isEqualTo(0440);
        assertThat(SecretOption.parse("source=a").getFile().getName()).isEqualTo("a");
        assertThat(SecretOption.parse("\"source=a,b\",target=c").getSecretName()).as("CSV quoting").isEqualTo("a,b");
    }

    @Test
    void badValuesGetDockersMessages() {
        assertThatThrownBy(() -> SecretOption.parse("source=a,owner=me")).hasMessage(
                "invalid argument \"source=a,owner=me\" for \"--secret\" flag: invalid field in secret request: owner");
        assertThatThrownBy(() -> SecretOption.parse("target=x")).hasMessageEndingWith("source is required");
        assertThatThrownBy(() -> SecretOption.parse("source=a,mode")).hasMessageEndingWith(
                "invalid field 'mode' must be a key=value pair");
        assertThatThrownBy(() -> SecretOption.parse("source=a,mode=rw")).hasMessageEndingWith(
                "invalid mode specified: strconv.ParseUint: parsing \"rw\": invalid syntax");
        assertThatThrownBy(() -> SecretOption.parseAll(List.of("source=a,target=x", "source=b,target=x")))
                .hasMessage("duplicate secret target for b not allowed");
    }

    @Test
    void anUpdateRemovesByNameThenAdds() {
        List<SecretReference> current = SecretOption.parseAll(List.of("a", "source=b,target=t"));
        List<SecretReference> next = SecretOption.update(current, List.of("source=c,target=t"), List.of("a"));
        assertThat(next).extracting(SecretReference::getSecretName).containsExactly("c");
        assertThat(SecretOption.update(current, List.of("d"), List.of())).extracting(SecretReference::getSecretName)
                .containsExactly("a", "b", "d");
    }
}
