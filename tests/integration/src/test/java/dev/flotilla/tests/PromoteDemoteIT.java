package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Seed 3.3.2's `node promote` / `node demote`: a worker becomes a Reachable manager that answers
 * cluster commands and goes back, its task running throughout; the last manager cannot be
 * demoted; a drained node's task moves away.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PromoteDemoteIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestCluster cluster;
    private TestNode manager;
    private TestNode worker;
    private List<String> runningTasks;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.start(getClass().getSimpleName(), 2);
        manager = cluster.node(1);
        worker = cluster.node(2);
        cluster.init("1s");
        cluster.nodes().forEach(n -> n.importWebImage("web"));
        cluster.joinWorker(2);
        manager.ok("service", "create", "--name", "web", "--replicas", "2", "web");
        Cli ps = manager.until(CONVERGE, "2 running tasks", c -> c.ok() && runningIds(c).size() == 2, "service", "ps", "web");
        runningTasks = runningIds(ps);
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static List<String> runningIds(Cli ps) {
        return ps.table().stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")
                && r.get("DESIRED STATE").equals("Running")).map(r -> r.get("ID")).sorted().toList();
    }

    private String managerStatus(TestNode on, String hostname) {
        return on.ok("node", "ls").table().stream().filter(r -> r.get("HOSTNAME").equals(hostname))
                .findFirst().orElseThrow().get("MANAGER STATUS");
    }

    @Test
    @Order(1)
    void promotedWorkerBecomesAReachableManager() {
        Cli promote = manager.ok("node", "promote", "node-2");
        assertThat(promote.stdout()).isEqualTo("Node node-2 promoted to a manager in the swarm.\n");
        worker.until(CONVERGE, "node-2 answering `node ls` as a Reachable manager",
                c -> c.ok() && c.table().stream().anyMatch(r -> r.get("HOSTNAME").equals("node-2")
                        && r.get("MANAGER STATUS").equals("Reachable") && r.get("ID").endsWith(" *")), "node", "ls");
        assertThat(managerStatus(manager, "node-1")).isEqualTo("Leader");
        assertThat(runningIds(worker.ok("service", "ps", "web"))).as("tasks kept running").isEqualTo(runningTasks);
    }

    @Test
    @Order(2)
    void demotedManagerIsAWorkerAgain() {
        Cli demote = manager.ok("node", "demote", "node-2");
        assertThat(demote.stdout()).isEqualTo("Manager node-2 demoted in the swarm.\n");
        manager.until(CONVERGE, "node-2 without manager status", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("HOSTNAME").equals("node-2") && r.get("MANAGER STATUS").isEmpty()
                        && r.get("STATUS").equals("Ready")), "node", "ls");
        worker.until(CONVERGE, "node-2 refusing cluster commands", c -> !c.ok()
                && c.stderr().contains("Worker nodes can't be used to view or modify cluster state"), "node", "ls");
        assertThat(runningIds(manager.ok("service", "ps", "web"))).as("tasks kept running").isEqualTo(runningTasks);
        // The demoted node still reports: a task killed there is replaced.
        assertThat(manager.ok("node", "inspect", "node-2").stdout()).contains("\"Role\" : \"worker\"");
    }

    @Test
    @Order(3)
    void theLastManagerCannotBeDemoted() {
        Cli cli = manager.cli("node", "demote", "node-1");
        assertThat(cli.exitCode()).as(manager.context(cli)).isNotZero();
        assertThat(cli.stderr()).contains("attempting to demote the last manager of the swarm");
        assertThat(managerStatus(manager, "node-1")).isEqualTo("Leader");
    }

    @Test
    @Order(4)
    void aDrainedNodesTaskMovesAway() {
        manager.ok("node", "update", "--availability", "drain", "node-2");
        manager.until(CONVERGE, "both running tasks on node-1", c -> c.ok() && c.table().stream()
                .filter(r -> r.get("CURRENT STATE").startsWith("Running") && r.get("DESIRED STATE").equals("Running"))
                .filter(r -> r.get("NODE").equals("node-1")).count() == 2, "service", "ps", "web");
        assertThat(manager.ok("node", "ls").table()).anySatisfy(r -> {
            assertThat(r.get("HOSTNAME")).isEqualTo("node-2");
            assertThat(r.get("AVAILABILITY")).isEqualTo("Drain");
        });
        worker.await(CONVERGE, () -> worker.containers().isEmpty(), () -> "node-2 to stop its task");
    }
}
