package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * README's first command: `bin/demo up` builds a three-node swarm and shows the routing mesh and
 * the overlay at work from every node; `bin/demo down` removes it all.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class DemoIT {
    private static final Duration DEMO = Duration.ofMinutes(3);
    private static final Pattern HELLO = Pattern.compile("<p>Hello, (\\S+)</p>");

    @Test
    void demoUpServesTheTasksOfAllNodesFromEveryNodeAndDownLeavesNothing() {
        String demo = Processes.root().resolve("bin/demo").toString();
        assertThat(Processes.ok(Duration.ofSeconds(30), "ip", "netns", "list").stdout())
                .as("a demo is running on this machine; this test would replace it (bin/demo down first)")
                .doesNotContain("flt-demo");
        Cli up;
        try {
            // The reactor built the checkout already; the demo skips its install and build steps.
            up = Processes.run(DEMO, "env", "FLOTILLA_SKIP_BUILD=1", demo, "up");
        } finally {
            Cli down = Processes.run(DEMO, demo, "down");
            assertThat(down.exitCode()).as("bin/demo down\n%s", down).isZero();
        }
        assertThat(up.exitCode()).as("bin/demo up\n%s", up).isZero();
        assertThat(up.stdout()).contains("is now a manager.", "This node joined a swarm as a worker.",
                        "verify: Service converged")
                .containsPattern("web +replicated +3/3 +web:latest +\\*:8080->80/tcp")
                .containsPattern("node-2 +Ready +Active")
                .containsPattern("node-3 +Ready +Active");
        for (String node : List.of("node-1", "node-2", "node-3")) {
            assertThat(up.stdout()).as("a task on %s", node).containsPattern("web\\.\\d +web:latest +" + node + " +Running");
        }
        List<String> hosts = HELLO.matcher(up.stdout()).results().map(m -> m.group(1)).toList();
        assertThat(hosts).as("three answers from each of three nodes in\n%s", up.stdout()).hasSize(9);
        assertThat(new HashSet<>(hosts)).hasSize(3);
        for (int node = 0; node < 3; node++) {
            assertThat(new HashSet<>(hosts.subList(3 * node, 3 * node + 3)))
                    .as("node-%d's port reaches the tasks of all three nodes", node + 1).hasSize(3);
        }

        assertThat(Processes.ok(Duration.ofSeconds(30), "ip", "netns", "list").stdout()).doesNotContain("flt-demo");
        assertThat(java.nio.file.Files.exists(java.nio.file.Path.of("/var/lib/flotilla-demo"))).isFalse();
    }
}
