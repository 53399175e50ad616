package dev.flotilla.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerLogsTest {

    private static final String ID = "a".repeat(64);

    @TempDir
    Path root;

    /** multilog's stamp of {@code unixSeconds}: TAI64 counts from 2^62 and is 10 s ahead. */
    private static String stamp(long unixSeconds, long nanos) {
        return String.format("@%016x%08x", (1L << 62) + 10 + unixSeconds, nanos);
    }

    private void append(ContainerLogs logs, boolean stderr, String file, String text) throws Exception {
        Path dir = logs.streamDir(ID, stderr);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(file), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> texts(List<ContainerLogs.Line> lines) {
        return lines.stream().map(l -> new String(l.text(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void readsRotatedFilesThenCurrentMergesTheStreamsByTimeAndKeepsTheTail() throws Exception {
        ContainerLogs logs = new ContainerLogs(root);
        append(logs, false, "@400000000000000100000000.s", stamp(100, 0) + " one\n" + stamp(101, 0) + " two\n");
        append(logs, false, "current", stamp(103, 5) + " four\n");
        append(logs, true, "current", stamp(102, 0) + " three\nnot a multilog line\n");

        List<ContainerLogs.Line> all = logs.read(ID, 0, -1);
        assertThat(texts(all)).containsExactly("one", "two", "three", "four");
        assertThat(all.get(0).timeNanos()).isEqualTo(100_000_000_000L);
        assertThat(all.get(2).stderr()).isTrue();
        assertThat(texts(logs.read(ID, 0, 2))).as("--tail 2").containsExactly("three", "four");
        assertThat(texts(logs.read(ID, 102_000_000_000L, -1))).as("--since").containsExactly("three", "four");
        assertThat(logs.read("b".repeat(64), 0, -1)).as("no logs").isEmpty();
    }

    @Test
    void aFollowerSeesOnlyNewCompleteLinesAlsoAcrossARotation() throws Exception {
        ContainerLogs logs = new ContainerLogs(root);
        append(logs, false, "current", stamp(1, 0) + " old\n");
        ContainerLogs.Follower f = logs.follow(ID);
        assertThat(f.poll()).isEmpty();

        append(logs, false, "current", stamp(2, 0) + " new\n" + stamp(3, 0) + " half");
        assertThat(texts(f.poll())).containsExactly("new");
        append(logs, false, "current", " done\n");
        assertThat(texts(f.poll())).containsExactly("half done");

        append(logs, false, "current", stamp(4, 0) + " before rotation\n");
        Path dir = logs.streamDir(ID, false);
        Files.move(dir.resolve("current"), dir.resolve("@400000000000000400000000.s"));
        append(logs, false, "current", stamp(5, 0) + " after rotation\n");
        assertThat(texts(f.poll())).containsExactly("before rotation", "after rotation");
    }

    @Test
    void aFollowerFromTheStartReadsEverythingKeptOnceThenOnlyNewLines() throws Exception {
        ContainerLogs logs = new ContainerLogs(root);
        append(logs, false, "@400000000000000100000000.s", stamp(1, 0) + " rotated\n");
        append(logs, false, "current", stamp(2, 0) + " current\n");
        ContainerLogs.Follower f = logs.follow(ID, true);
        assertThat(texts(f.poll())).containsExactly("rotated", "current");
        assertThat(f.poll()).isEmpty();
        append(logs, false, "current", stamp(3, 0) + " later\n");
        assertThat(texts(f.poll())).containsExactly("later");
    }

    @Test
    void retainDeletesTheLogsOfContainersNoLongerKept() throws Exception {
        ContainerLogs logs = new ContainerLogs(root);
        logs.prepare(ID);
        logs.prepare("b".repeat(64));
        logs.retain(java.util.Set.of(ID));
        assertThat(logs.exists(ID)).isTrue();
        assertThat(logs.exists("b".repeat(64))).isFalse();
    }
}
