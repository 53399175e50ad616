package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The last manager leaves only with --force; leaving stops its tasks and erases the swarm. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SwarmLeaveIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestNode node;

    @BeforeAll
    void startManager() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void lastManagerLeavesOnlyWithForceAndTakesItsTasksAlong() {
        node.ok("service", "create", "--name", "web", "--replicas", "2", "-p", "8080:80", "web");
        assertThat(node.hellos(8080, 2)).hasSize(2);

        Cli refused = node.cli("swarm", "leave");
        assertThat(refused.exitCode()).as(node.context(refused)).isEqualTo(1);
        assertThat(refused.stderr()).contains("Removing the last manager erases all current state of the swarm")
                .contains("--force");
        assertThat(node.ok("service", "ls").table()).as("nothing changed").hasSize(1);

        Cli left = node.ok("swarm", "leave", "--force");
        assertThat(left.stdout()).contains("Node left the swarm.");
        Cli ls = node.cli("service", "ls");
        assertThat(ls.exitCode()).isEqualTo(1);
        assertThat(ls.stderr()).contains("This node is not a swarm manager.");
        node.await(CONVERGE, () -> node.containers().isEmpty() && node.namespaces().isEmpty(),
                () -> "containers " + node.containers() + " and namespaces " + node.namespaces() + " gone");
        assertThat(node.curl("http://127.0.0.1:8080/").ok()).as("port 8080 is closed").isFalse();

        Cli again = node.ok("swarm", "init", "--advertise-addr", node.address());
        assertThat(again.stdout()).contains("is now a manager.");
        assertThat(node.ok("service", "ls").table()).as("a new swarm starts empty").isEmpty();
    }
}
