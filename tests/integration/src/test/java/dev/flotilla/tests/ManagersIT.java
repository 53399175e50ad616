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
 * Three managers (seed 3.3.2: `swarm join-token manager`): both joiners become Raft members,
 * every manager answers cluster commands (a follower gathers `service logs` from the others), and when the leader dies the other two elect a new one,
 * show the old one Unreachable and move its task.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ManagersIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestCluster cluster;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.start(getClass().getSimpleName(), 3);
        cluster.init("1s");
        cluster.nodes().forEach(n -> n.importWebImage("web"));
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void managerTokenJoinsManagers() {
        Cli hint = cluster.node(1).ok("swarm", "join-token", "manager");
        assertThat(hint.stdout()).startsWith("To add a manager to this swarm, run the following command:")
                .contains("flotilla swarm join --token SWMTKN-1-", cluster.node(1).address() + ":2377");
        for (int i = 2; i <= 3; i++) {
            TestNode n = cluster.node(i);
            Cli join = n.ok("swarm", "join", "--token", cluster.token("manager"), "--advertise-addr", n.address(),
                    cluster.node(1).address() + ":2377");
            assertThat(join.stdout()).isEqualTo("This node joined a swarm as a manager.\n");
        }
        for (TestNode n : cluster.nodes()) {
            Cli ls = n.until(CONVERGE, "three Ready managers, one Leader", c -> c.ok() && c.table().size() == 3
                    && c.table().stream().allMatch(r -> r.get("STATUS").equals("Ready"))
                    && c.table().stream().filter(r -> r.get("MANAGER STATUS").equals("Leader")).count() == 1
                    && c.table().stream().filter(r -> r.get("MANAGER STATUS").equals("Reachable")).count() == 2,
                    "node", "ls");
            assertThat(ls.table()).as(n.context(ls)).filteredOn(r -> r.get("ID").endsWith(" *"))
                    .singleElement().satisfies(r -> assertThat(r.get("HOSTNAME")).isEqualTo(n.hostname()));
        }
    }

    @Test
    @Order(2)
    void anyManagerTakesClusterCommands() {
        // node-2 is a follower: its write goes to the leader through Raft.
        cluster.node(2).ok("service", "create", "--name", "web", "--replicas", "3", "web");
        Cli ps = cluster.node(3).until(CONVERGE, "3 running tasks, one per node", c -> c.ok()
                && c.table().stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")).count() == 3,
                "service", "ps", "web");
        assertThat(ps.table()).extracting(r -> r.get("NODE")).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
    }

    @Test
    @Order(2)
    void aFollowerGathersServiceLogsFromEveryManager() {
        cluster.node(1).ok("service", "create", "--name", "hello", "--mode", "global", "web", "sh", "-c",
                "echo \"hi from $(hostname)\"; exec sleep 1000");
        // node-3 is a follower: node-1's and node-2's lines come from those managers over mutual TLS.
        Cli logs = cluster.node(3).until(CONVERGE, "a line from each of the three managers", c -> c.ok()
                && c.lines().size() == 3, "service", "logs", "--no-task-ids", "hello");
        assertThat(logs.lines()).as(cluster.node(3).context(logs)).extracting(l -> l.substring(0, l.indexOf(' ')))
                .allSatisfy(p -> assertThat(p).matches("hello\\.[a-z0-9]+@node-[123]"))
                .extracting(p -> p.substring(p.indexOf('@') + 1)).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
        assertThat(logs.lines()).allSatisfy(l -> assertThat(l).matches(".*    \\| hi from [0-9a-f]{12}"));
        cluster.node(1).ok("service", "rm", "hello");
    }

    @Test
    @Order(3)
    void whenTheLeaderDiesTheOthersElectAnotherAndMoveItsTask() {
        TestNode leader = cluster.node(1);
        leader.killDaemon();
        TestNode survivor = cluster.node(2);
        Cli ls = survivor.until(CONVERGE, "a new leader and node-1 Unreachable", c -> c.ok()
                && c.table().stream().anyMatch(r -> r.get("HOSTNAME").equals("node-1")
                        && r.get("MANAGER STATUS").equals("Unreachable") && r.get("STATUS").equals("Down"))
                && c.table().stream().anyMatch(r -> !r.get("HOSTNAME").equals("node-1")
                        && r.get("MANAGER STATUS").equals("Leader")), "node", "ls");
        assertThat(ls.table()).as(survivor.context(ls)).hasSize(3);
        survivor.until(CONVERGE, "3 running tasks on node-2 and node-3", c -> {
            List<Table.Row> running = c.table().stream()
                    .filter(r -> r.get("DESIRED STATE").equals("Running") && r.get("CURRENT STATE").startsWith("Running"))
                    .toList();
            return running.size() == 3 && running.stream().noneMatch(r -> r.get("NODE").equals("node-1"));
        }, "service", "ps", "web");
        assertThat(cluster.node(3).ok("service", "ls").table()).singleElement()
                .satisfies(r -> assertThat(r.get("REPLICAS")).isEqualTo("3/3"));
    }
}
