package dev.flotilla.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {

    @TempDir
    Path dir;

    private long entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void replacesTheFileWholeAndLeavesNothingBeside() throws IOException {
        Path f = dir.resolve("state.json");
        DurableFiles.write(f, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        DurableFiles.write(f, "{\"a\":2}".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(f)).isEqualTo("{\"a\":2}");
        assertThat(entries()).isEqualTo(1);
    }

    @Test
    void givesTheNewFileTheModeAsked() throws IOException {
        Path key = dir.resolve("swarm-node.key");
        DurableFiles.write(key, new byte[] {1}, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndRemovesItsTemporary() throws IOException {
        Path f = dir.resolve("state.json");
        DurableFiles.write(f, "old".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> DurableFiles.write(f, out -> {
            out.write("half".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        })).hasMessage("disk full");
        assertThat(Files.readString(f)).isEqualTo("old");
        assertThat(entries()).isEqualTo(1);
    }

    @Test
    void leftoversOfACrashedWriteAreRemovedAndNothingElse() throws IOException {
        Files.writeString(dir.resolve(".state.json.0b3c.tmp"), "{\"half");
        Files.writeString(dir.resolve("state.json"), "{}");
        Files.writeString(dir.resolve("notes.tmp"), "a user's file");
        assertThat(DurableFiles.removeLeftovers(dir)).isEqualTo(1);
        assertThat(Files.exists(dir.resolve("state.json"))).isTrue();
        assertThat(Files.exists(dir.resolve("notes.tmp"))).isTrue();
        assertThat(DurableFiles.removeLeftovers(dir.resolve("absent"))).isZero();
    }
}
