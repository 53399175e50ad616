package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VolumeStoreTest {

    @TempDir
    Path tmp;

    @Test
    void aVolumeIsCreatedOnceAndKeepsItsFirstLabels() throws Exception {
        VolumeStore store = new VolumeStore(tmp.resolve("volumes"));

        VolumeStore.Ensured first = store.ensure("db", Map.of("tier", "db"), Map.of(), false);
        Files.writeString(first.volume().mountpoint().resolve("row"), "1");
        VolumeStore.Ensured again = store.ensure("db", Map.of("tier", "other"), Map.of(), false);

        assertThat(first.created()).isTrue();
        assertThat(again.created()).isFalse();
        assertThat(again.volume().labels()).containsExactly(Map.entry("tier", "db"));
        assertThat(again.volume().mountpoint()).isEqualTo(tmp.resolve("volumes/db/_data"));
        assertThat(new VolumeStore(tmp.resolve("volumes")).find("db")).as("after a restart")
                .hasValueSatisfying(v -> assertThat(v.mountpoint().resolve("row")).hasContent("1"));
    }

    @Test
    void listsByNameAndDeletesWithTheData() {
        VolumeStore store = new VolumeStore(tmp.resolve("volumes"));
        store.ensure("web", Map.of(), Map.of(), false);
        store.ensure("app", Map.of(), Map.of(), false);

        assertThat(store.list()).extracting(VolumeStore.Volume::name).containsExactly("app", "web");
        store.delete("web");

        assertThat(store.list()).extracting(VolumeStore.Volume::name).containsExactly("app");
        assertThat(tmp.resolve("volumes/web")).doesNotExist();
    }

    @Test
    void badNamesAndDriverOptionsAreRefusedAndMakeNothing() {
        VolumeStore store = new VolumeStore(tmp.resolve("volumes"));

        assertThatThrownBy(() -> store.ensure("../etc", Map.of(), Map.of(), false))
                .hasMessageStartingWith("\"../etc\" includes invalid characters for a local volume name");
        assertThatThrownBy(() -> store.ensure("v", Map.of(), Map.of("type", "nfs"), false))
                .hasMessage("the local volume driver of this node takes no options, got type");
        assertThat(store.find("../etc")).isEmpty();
        assertThat(store.list()).isEmpty();
    }
}
