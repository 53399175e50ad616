package dev.flotilla.cluster.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnlockKeyTest {

    @Test
    void aKeyIsPrintedAsDockerPrintsItAndParsedBack() {
        UnlockKey key = UnlockKey.generate();
        assertThat(key.text()).matches("SWMKEY-1-[A-Za-z0-9+/]{43}");
        assertThat(UnlockKey.parse("  " + key.text() + "\n").text()).isEqualTo(key.text());
        assertThat(key.toString()).doesNotContain(key.text().substring(9));
        for (String bad : new String[] {"", "SWMKEY-1-", "SWMKEY-1-abc", "SWMKEY-2-" + key.text().substring(9), "SWMKEY-1-!!!"}) {
            assertThatThrownBy(() -> UnlockKey.parse(bad)).as(bad).hasMessage("invalid key");
        }
    }

    @Test
    void aLockedDataKeyFileOpensOnlyWithItsUnlockKey(@TempDir Path dir) throws Exception {
        DataKey data = DataKey.generate();
        UnlockKey unlock = UnlockKey.generate();
        Path file = dir.resolve("data.key");
        data.save(file, unlock);

        assertThat(DataKey.isLocked(file)).isTrue();
        assertThat(Files.readString(file)).doesNotContain(java.util.Base64.getMimeEncoder().encodeToString(data.bytes()));
        assertThatThrownBy(() -> DataKey.load(file)).isInstanceOf(DataKey.LockedException.class);
        assertThatThrownBy(() -> DataKey.load(file, UnlockKey.generate())).hasMessage("invalid key");
        DataKey opened = DataKey.load(file, unlock).orElseThrow();
        assertThat(opened.open(data.seal(new byte[] {1, 2, 3}))).containsExactly(1, 2, 3);

        data.save(file);
        assertThat(DataKey.isLocked(file)).isFalse();
        assertThat(DataKey.load(file, unlock)).as("a key in clear needs no unlock key").isPresent();
    }
}
