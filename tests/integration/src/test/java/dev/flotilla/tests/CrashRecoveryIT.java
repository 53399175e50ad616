package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * State files that survive a crash: while the swarm writes (images imported, tasks started and
 * stopped by scaling, Raft entries), a node's daemon is killed with SIGKILL at a random moment,
 * 6 times, one of them the manager's (bench/crash-soak.sh runs it with more:
 * {@code -Dflotilla.crashKills=N}). After each kill every state file of that node parses (JSON, PEM), no temporary file
 * of an interrupted write is left once the daemon is back, and the node rejoins: Ready, its
 * tasks running again.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class CrashRecoveryIT {
    private static final int KILLS = Integer.getInteger("flotilla.crashKills", 6);
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    /** Kills land anywhere in this window after the writes started. */
    private static final int MAX_KILL_DELAY_MS = 1500;
    /** Not state files: image and container root filesystems, and Ratis' own log. */
    private static final Set<String> SKIPPED = Set.of("rootfs", "raft", "upper", "work", "merged", "lower");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void killedAtRandomDuringWritesEveryFileParsesAndTheNodeRejoins() throws Exception {
        try (TestCluster cluster = TestCluster.startSwarm(getClass().getSimpleName(), 2, "1s")) {
            TestNode manager = cluster.node(1);
            TestNode worker = cluster.node(2);
            manager.ok("service", "create", "--name", "churn", "--replicas", "2", "web");
            for (int kill = 1; kill <= KILLS; kill++) {
                // Every fifth kill is the manager's: its Raft log and snapshot, swarm state and keys.
                TestNode victim = kill % 5 == 0 ? manager : worker;
                AtomicBoolean writing = new AtomicBoolean(true);
                int round = kill;
                Thread writer = new Thread(() -> {
                    for (int i = 0; writing.get(); i++) {
                        worker.cli("image", "import", "scratch:" + round + "-" + i, worker.webroot().toString());
                        manager.cli("service", "scale", "-d", "churn=" + (1 + i % 3));
                    }
                }, "ft-writer");
                writer.start();
                try {
                    Thread.sleep(RANDOM.nextInt(MAX_KILL_DELAY_MS)); // a random moment, not a wait for state
                    victim.killDaemon();
                } finally {
                    writing.set(false);
                    writer.join(TimeUnit.MINUTES.toMillis(3));
                }
                assertEveryStateFileParses(victim, "after kill " + kill);
                victim.startDaemon();
                assertThat(temporaryFiles(victim.dataRoot())).as("temporary files left after restart " + kill).isEmpty();
                manager.ok("service", "scale", "-d", "churn=2");
                String what = "after kill " + kill + " of " + victim.hostname() + ": node-2 Ready and 2 tasks running";
                manager.until(CONVERGE, what, c -> c.ok() && c.table().stream().anyMatch(r -> r.get("HOSTNAME").equals("node-2")
                        && r.get("STATUS").equals("Ready")), "node", "ls");
                manager.until(CONVERGE, what, c -> c.ok() && c.table().stream().filter(r -> r.get("DESIRED STATE").equals("Running")
                        && r.get("CURRENT STATE").startsWith("Running")).count() == 2, "service", "ps", "churn");
            }
            assertThat(worker.ok("image", "ls").stdout()).contains("scratch");
        }
    }

    private static void assertEveryStateFileParses(TestNode node, String when) throws IOException {
        List<Path> files = stateFiles(node.dataRoot());
        assertThat(files).as("state files of " + node.hostname()).isNotEmpty();
        for (Path f : files) {
            String name = f.getFileName().toString();
            byte[] bytes = Files.readAllBytes(f);
            if (name.endsWith(".json")) {
                try {
                    JSON.readTree(bytes);
                } catch (IOException e) {
                    throw new AssertionError(when + ": " + f + " does not parse: " + e.getMessage(), e);
                }
            } else if (name.endsWith(".crt") || name.endsWith(".key")) {
                String text = new String(bytes, StandardCharsets.US_ASCII);
                assertThat(text).as(when + ": " + f).startsWith("-----BEGIN ").contains("\n-----END ");
            }
        }
    }

    /** JSON, certificates and keys under the data root, outside root filesystems and Raft's log. */
    private static List<Path> stateFiles(Path dataRoot) {
        List<Path> out = new ArrayList<>();
        walk(dataRoot, p -> {
            String n = p.getFileName().toString();
            if (n.endsWith(".json") || n.endsWith(".crt") || n.endsWith(".key")) {
                out.add(p);
            }
        });
        return out;
    }

    private static List<Path> temporaryFiles(Path dataRoot) {
        List<Path> out = new ArrayList<>();
        walk(dataRoot, p -> {
            if (p.getFileName().toString().endsWith(".tmp")) {
                out.add(p);
            }
        });
        return out;
    }

    private static void walk(Path dir, java.util.function.Consumer<Path> file) {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    if (!SKIPPED.contains(p.getFileName().toString())) {
                        walk(p, file);
                    }
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    file.accept(p);
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // Removed while walking (a container's directory): nothing to check there.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
