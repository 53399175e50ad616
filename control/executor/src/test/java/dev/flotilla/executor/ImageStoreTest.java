package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {

    @TempDir
    Path tmp;

    private Path root;
    private ImageStore store;

    @BeforeEach
    void setUp() {
        root = tmp.resolve("images");
        store = new ImageStore(root);
    }

    @Test
    void importsADirectoryWithItsConfig() throws IOException {
        Path source = TestRootfs.tiny(tmp.resolve("src"), "hello");
        ImageConfig config = new ImageConfig(List.of("sh", "-c", "cat /etc/motd"), List.of("A=1"), "/etc");

        Image image = store.importImage("demo", source, config);

        assertThat(image.reference()).isEqualTo("demo:latest");
        assertThat(image.id()).matches("sha256:[0-9a-f]{64}");
        assertThat(image.size()).isEqualTo(5);
        assertThat(image.config()).isEqualTo(config);
        assertThat(image.rootfs().resolve("etc/motd")).hasContent("hello");
        assertThat(Files.isSymbolicLink(image.rootfs().resolve("motd"))).isTrue();
        assertThat(store.find("demo:latest")).contains(image);
        assertThat(Files.exists(source.resolve("etc/motd"))).as("the source is copied, not moved").isTrue();
    }

    @Test
    void importsPlainAndGzippedTarballsToTheSameId() throws Exception {
        Path source = TestRootfs.tiny(tmp.resolve("src"), "hello");
        Path tar = tmp.resolve("rootfs.tar");
        Path tgz = tmp.resolve("rootfs.tar.gz");
        TestRootfs.run(List.of("tar", "-cf", tar.toString(), "-C", source.toString(), "."));
        TestRootfs.run(List.of("tar", "-czf", tgz.toString(), "-C", source.toString(), "."));

        Image fromDir = store.importImage("a", source, null);
        Image fromTar = store.importImage("b:1", tar, null);
        Image fromTgz = store.importImage("c/d:2", tgz, null);

        assertThat(fromTgz.rootfs().resolve("etc/motd")).hasContent("hello");
        assertThat(fromTar.id()).isEqualTo(fromDir.id()).isEqualTo(fromTgz.id());
        assertThat(fromTar.config()).isEqualTo(ImageConfig.EMPTY);
        assertThat(store.list()).extracting(Image::reference).containsExactly("a:latest", "b:1", "c/d:2");
    }

    @Test
    void reimportReplacesTheImageAndDropsTheOldContent() throws IOException {
        Image first = store.importImage("demo:v1", TestRootfs.tiny(tmp.resolve("one"), "one"), null);
        Image second = store.importImage("demo:v1", TestRootfs.tiny(tmp.resolve("two"), "two!"), null);

        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(store.find("demo:v1")).contains(second);
        assertThat(store.list()).hasSize(1);
        assertThat(first.rootfs()).doesNotExist();
        assertThat(entries(root.resolve("store"))).hasSize(1);
    }

    @Test
    void removesAnImage() throws IOException {
        Image image = store.importImage("demo", TestRootfs.tiny(tmp.resolve("src"), "x"), null);

        assertThat(store.remove("demo")).isTrue();
        assertThat(store.remove("demo")).isFalse();
        assertThat(store.find("demo")).isEmpty();
        assertThat(image.rootfs()).doesNotExist();
    }

    @Test
    void untagSaysWhatItRemoved() throws IOException {
        Image image = store.importImage("demo:v1", TestRootfs.tiny(tmp.resolve("src"), "x"), null);

        assertThat(store.untag("demo:v1")).contains(new ImageStore.Removed(List.of("demo:v1"), image.id()));
        assertThat(store.untag("demo:v1")).isEmpty();
    }

    @Test
    void failedImportOfACorruptTarballLeavesNothing() throws Exception {
        Path source = TestRootfs.tiny(tmp.resolve("src"), "x".repeat(100_000));
        Path tgz = tmp.resolve("rootfs.tgz");
        TestRootfs.run(List.of("tar", "-czf", tgz.toString(), "-C", source.toString(), "."));
        byte[] whole = Files.readAllBytes(tgz);
        Path truncated = Files.write(tmp.resolve("truncated.tgz"), java.util.Arrays.copyOf(whole, whole.length / 2));
        Path garbage = Files.writeString(tmp.resolve("garbage.tar"), "this is not a tarball\n".repeat(100));

        assertThatThrownBy(() -> store.importImage("demo", truncated, null))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("tar");
        assertThatThrownBy(() -> store.importImage("demo", garbage, null))
                .isInstanceOf(CommandException.class)
                .hasMessageContaining("does not look like a tar archive");

        assertThat(store.list()).isEmpty();
        assertThat(entries(root.resolve("tmp"))).isEmpty();
        assertThat(entries(root.resolve("store"))).isEmpty();
        assertThat(entries(root.resolve("refs"))).isEmpty();
    }

    @Test
    void failedReimportKeepsThePreviousImage() throws IOException {
        Image image = store.importImage("demo", TestRootfs.tiny(tmp.resolve("src"), "x"), null);
        Path garbage = Files.writeString(tmp.resolve("garbage.tar"), "not a tarball");

        assertThatThrownBy(() -> store.importImage("demo", garbage, null)).isInstanceOf(CommandException.class);

        assertThat(store.find("demo")).contains(image);
        assertThat(image.rootfs().resolve("etc/motd")).hasContent("x");
    }

    @Test
    void rejectsAMissingSourceAndAnInvalidReference() throws IOException {
        Path source = TestRootfs.tiny(tmp.resolve("src"), "x");

        assertThatThrownBy(() -> store.importImage("demo", tmp.resolve("nope.tar"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope.tar does not exist");
        assertThatThrownBy(() -> store.importImage("Demo", source, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be lowercase");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void reopeningSweepsLeftoversOfACrashedImport() throws IOException {
        Image image = store.importImage("demo", TestRootfs.tiny(tmp.resolve("src"), "x"), null);
        Files.createDirectories(root.resolve("tmp/half-unpacked/rootfs"));
        Files.createDirectories(root.resolve("store/unreferenced/rootfs"));

        ImageStore reopened = new ImageStore(root);

        assertThat(reopened.list()).containsExactly(image);
        assertThat(entries(root.resolve("tmp"))).isEmpty();
        assertThat(entries(root.resolve("store"))).hasSize(1);
    }

    private static List<Path> entries(Path dir) throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.toList();
        }
    }
}
