package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes on one underlay, driven as seed 3.3.2 drives Docker: init, join with tokens (wrong,
 * malformed and rotated ones refused), `node ls` on the manager and refused on a worker, a
 * service spread one task per node, a killed worker marked Down with its task replaced, `node rm`,
 * and a worker's `swarm leave`. The tests share one cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MultiNodeIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestCluster cluster;
    private TestNode manager;
    private String managerId;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.start(getClass().getSimpleName(), 3);
        manager = cluster.node(1);
        // 1 s heartbeats: a dead node is Down after 3 s instead of 15.
        managerId = cluster.init("1s");
        cluster.nodes().forEach(n -> n.importWebImage("web"));
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private Map<String, Table.Row> nodesByHostname() {
        return manager.ok("node", "ls").table().stream()
                .collect(Collectors.toMap(r -> r.get("HOSTNAME"), Function.identity()));
    }

    @Test
    @Order(1)
    void badTokensAreRefusedAndLeaveNoState() {
        TestNode n3 = cluster.node(3);
        String target = manager.address() + ":2377";
        String good = cluster.token("worker");

        Cli malformed = n3.cli("swarm", "join", "--token", "SWMTKN-1-nonsense", target);
        assertThat(malformed.exitCode()).as(n3.context(malformed)).isNotZero();
        assertThat(malformed.stderr()).contains("invalid join token");

        Cli nobody = n3.cli("swarm", "join", "--token", good, cluster.node(2).address() + ":2377");
        assertThat(nobody.exitCode()).as(n3.context(nobody)).isNotZero();
        assertThat(nobody.stderr()).contains("cannot reach the manager at " + cluster.node(2).address() + ":2377");

        String wrongSecret = good.substring(0, good.lastIndexOf('-') + 1) + "0".repeat(25);
        Cli wrong = n3.cli("swarm", "join", "--token", wrongSecret, target);
        assertThat(wrong.exitCode()).as(n3.context(wrong)).isNotZero();
        assertThat(wrong.stderr()).contains("not valid for this swarm");

        // Rotating the worker token: the old one no longer admits anyone.
        Cli rotate = manager.ok("swarm", "join-token", "--rotate", "worker");
        assertThat(rotate.stdout()).contains("Successfully rotated worker join token.");
        Cli old = n3.cli("swarm", "join", "--token", good, target);
        assertThat(old.exitCode()).as(n3.context(old)).isNotZero();
        assertThat(old.stderr()).contains("not valid for this swarm");

        assertThat(n3.ok("info").stdout()).contains("Swarm: inactive");
        assertThat(manager.ok("node", "ls").table()).as("only the manager is a member").hasSize(1);
    }

    @Test
    @Order(2)
    void workersJoinAndShowReadyOnTheManager() {
        for (int i = 2; i <= 3; i++) {
            TestNode n = cluster.node(i);
            Cli join = n.ok("swarm", "join", "--token", cluster.token("worker"), "--advertise-addr", n.address(),
                    manager.address() + ":2377");
            assertThat(join.stdout()).isEqualTo("This node joined a swarm as a worker.\n");
            assertThat(n.ok("info").stdout()).contains("Swarm: active", "Is Manager: false");
        }
        Map<String, Table.Row> nodes = nodesByHostname();
        assertThat(nodes).containsOnlyKeys("node-1", "node-2", "node-3");
        assertThat(nodes.values()).allSatisfy(r -> {
            assertThat(r.get("STATUS")).isEqualTo("Ready");
            assertThat(r.get("AVAILABILITY")).isEqualTo("Active");
        });
        assertThat(nodes.get("node-1").get("ID")).isEqualTo(managerId + " *");
        assertThat(nodes.get("node-1").get("MANAGER STATUS")).isEqualTo("Leader");
        assertThat(nodes.get("node-2").get("MANAGER STATUS")).isEmpty();
        assertThat(nodes.get("node-2").get("ID")).doesNotContain("*");
    }

    @Test
    @Order(3)
    void aWorkerRefusesClusterCommands() {
        TestNode worker = cluster.node(2);
        for (List<String> command : List.of(List.of("node", "ls"), List.of("service", "ls"),
                List.of("swarm", "join-token", "worker"))) {
            Cli cli = worker.cli(command.toArray(String[]::new));
            assertThat(cli.exitCode()).as(worker.context(cli)).isNotZero();
            assertThat(cli.stderr()).as(worker.context(cli))
                    .contains("Worker nodes can't be used to view or modify cluster state")
                    .contains("run this command on a manager node");
        }
        // Node-local views still answer on a worker: its networks (seed 3.3.3.6).
        Cli networks = worker.ok("network", "ls");
        assertThat(networks.table()).as(worker.context(networks)).extracting(r -> r.get("NAME") + " " + r.get("DRIVER")
                + " " + r.get("SCOPE")).contains("ingress overlay swarm", "flotilla_gwbridge bridge local");
        Cli again = worker.cli("swarm", "join", "--token", cluster.token("worker"), manager.address());
        assertThat(again.exitCode()).isNotZero();
        assertThat(again.stderr()).contains("already part of a swarm");
    }

    @Test
    @Order(4)
    void aServiceSpreadsOneTaskPerNode() {
        manager.ok("service", "create", "--name", "spread", "--replicas", "3", "web");
        Cli ps = manager.until(CONVERGE, "3 running tasks", c -> c.ok() && c.table().size() == 3
                && c.table().stream().allMatch(r -> r.get("CURRENT STATE").startsWith("Running")),
                "service", "ps", "spread");
        assertThat(ps.table()).extracting(r -> r.get("NODE")).as(manager.context(ps))
                .containsExactlyInAnyOrder("node-1", "node-2", "node-3");
        // Each worker runs its task's container.
        for (int i = 2; i <= 3; i++) {
            assertThat(cluster.node(i).containers()).as("containers of node-" + i).hasSize(1);
        }
    }

    @Test
    @Order(5)
    void aKilledWorkerGoesDownAndItsTaskIsReplacedElsewhere() {
        TestNode victim = cluster.node(3);
        victim.killDaemon();
        manager.until(Duration.ofSeconds(20), "node-3 Down",
                c -> c.ok() && c.table().stream().anyMatch(r -> r.get("HOSTNAME").equals("node-3")
                        && r.get("STATUS").equals("Down")), "node", "ls");
        Cli ps = manager.until(CONVERGE, "3 running tasks on node-1 and node-2", c -> {
            List<Table.Row> running = c.table().stream()
                    .filter(r -> r.get("DESIRED STATE").equals("Running") && r.get("CURRENT STATE").startsWith("Running"))
                    .toList();
            return running.size() == 3 && running.stream().noneMatch(r -> r.get("NODE").equals("node-3"));
        }, "service", "ps", "spread");
        assertThat(ps.table()).as(manager.context(ps))
                .anySatisfy(r -> {
                    assertThat(r.get("NODE")).isEqualTo("node-3");
                    assertThat(r.get("DESIRED STATE")).isEqualTo("Shutdown");
                });
    }

    @Test
    @Order(6)
    void nodeRmRefusesAReadyNodeAndRemovesADownOne() {
        Cli ready = manager.cli("node", "rm", "node-2");
        assertThat(ready.exitCode()).as(manager.context(ready)).isNotZero();
        assertThat(ready.stderr()).contains("is not down and can't be removed");

        Cli down = manager.ok("node", "rm", "node-3");
        assertThat(down.stdout()).isEqualTo("node-3\n");
        assertThat(nodesByHostname()).containsOnlyKeys("node-1", "node-2");

        Cli inspect = manager.ok("node", "inspect", "node-2");
        assertThat(inspect.stdout()).contains("\"Hostname\" : \"node-2\"", "\"Role\" : \"worker\"", "\"State\" : \"ready\"");
        Cli self = manager.ok("node", "inspect", "self");
        assertThat(self.stdout()).contains("\"ID\" : \"" + managerId + "\"", "\"Leader\" : true");
    }

    @Test
    @Order(7)
    void aWorkerLeavesAndTheManagerShowsItDown() {
        TestNode worker = cluster.node(2);
        Cli leave = worker.ok("swarm", "leave");
        assertThat(leave.stdout()).isEqualTo("Node left the swarm.\n");
        assertThat(worker.ok("info").stdout()).contains("Swarm: inactive");
        assertThat(worker.containers()).as("the leaving worker stopped its tasks").isEmpty();
        manager.until(Duration.ofSeconds(10), "node-2 Down",
                c -> c.ok() && c.table().stream().anyMatch(r -> r.get("HOSTNAME").equals("node-2")
                        && r.get("STATUS").equals("Down")), "node", "ls");
        manager.until(CONVERGE, "3 running tasks on node-1", c -> c.table().stream()
                .filter(r -> r.get("DESIRED STATE").equals("Running") && r.get("CURRENT STATE").startsWith("Running"))
                .allMatch(r -> r.get("NODE").equals("node-1"))
                && c.table().stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")
                        && r.get("DESIRED STATE").equals("Running")).count() == 3, "service", "ps", "spread");
    }
}
