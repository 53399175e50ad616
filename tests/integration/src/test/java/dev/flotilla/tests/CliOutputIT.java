package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the CLI prints is the command's own: scripts parse it, tests compare it whole. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CliOutputIT {

    /**
     * A JVM keeps a performance-data file named after its pid in /tmp/hsperfdata_USER and warns on
     * stderr when another process holds that file locked: a process of the same pid in another pid
     * namespace sharing /tmp, or an earlier one whose file was not removed. ConcurrentWritesIT once
     * failed so, its expected error preceded by `[warning][perf,memops] Cannot use file
     * /tmp/hsperfdata_root/15350 because it is locked by another process`. Here the CLI runs as pid
     * 1 of a new pid namespace while another process locks /tmp/hsperfdata_root/1.
     */
    @Test
    void theJvmsPerformanceFileLockedByAnotherProcessLeavesTheOutputAlone() throws Exception {
        Root.assume("unshare", "flock");
        Path dir = Path.of("/tmp/hsperfdata_" + System.getProperty("user.name"));
        Files.createDirectories(dir);
        Path file = dir.resolve("1");
        boolean made = !Files.exists(file);
        if (made) {
            Files.createFile(file);
        }
        Process holder = new ProcessBuilder("flock", "-x", file.toString(), "sleep", "120")
                .redirectErrorStream(true).start();
        try {
            // flock -n succeeds only once nobody holds the lock: this polls until the holder has it.
            dev.flotilla.testkit.Poll.until(Duration.ofSeconds(10),
                    () -> Processes.run(Duration.ofSeconds(5), "flock", "-n", file.toString(), "true").exitCode() != 0,
                    "the holder to lock " + file);

            Cli version = Processes.run(Duration.ofSeconds(60), "unshare", "--pid", "--fork",
                    Processes.flotilla().toString(), "--version");

            assertThat(version.exitCode()).as(version.toString()).isZero();
            assertThat(version.stdout()).as(version.toString()).isEqualTo("flotilla 0.1.0\n");
            assertThat(version.stderr()).as(version.toString()).isEmpty();
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
            if (made) {
                deleteQuietly(file);
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // a later JVM of pid 1 would reuse or remove it
        }
    }
}
