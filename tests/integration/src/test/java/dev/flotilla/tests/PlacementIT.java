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
 * Node labels and placement on three nodes with real runc tasks, as seed 3.3.3.7 answers volumes'
 * limits: `node update --label-add/--label-rm`, `--constraint` on labels, a task that fits
 * nowhere waiting in Pending with Docker's reason until a node qualifies, a label change moving
 * running tasks to the nodes that still qualify, `--replicas-max-per-node`, swarmkit's messages
 * for bad constraints, `--reserve-memory` filling nodes (`insufficient resources`), and
 * `--limit-*` set on the task's cgroup. The tests share one cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class PlacementIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    private TestCluster cluster;
    private TestNode manager;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s");
        manager = cluster.node(1);
        for (TestNode n : cluster.nodes()) {
            n.importWebImage("web");
        }
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private List<Table.Row> current(String service) {
        return manager.ok("service", "ps", service).table().stream().filter(r -> !r.get("NAME").startsWith("\\_")).toList();
    }

    private boolean allRunningOn(String service, int replicas, String hostname) {
        List<Table.Row> rows = current(service);
        return rows.size() == replicas && rows.stream().allMatch(r -> r.get("NODE").equals(hostname)
                && r.get("CURRENT STATE").startsWith("Running"));
    }

    @Test
    @Order(1)
    void labelsAreAddedShownAndRemoved() {
        String node2 = cluster.node(2).hostname();
        assertThat(manager.ok("node", "update", "--label-add", "zone=east", "--label-add", "ssd", node2).stdout().strip())
                .isEqualTo(node2);

        Cli pretty = manager.ok("node", "inspect", "--pretty", node2);
        assertThat(pretty.stdout()).as(manager.context(pretty))
                .contains("Labels:\n - ssd=\n - zone=east\n")
                .contains("Platform:\n Operating System:\tlinux\n");
        assertThat(manager.ok("node", "inspect", node2).stdout())
                .containsPattern("\"Labels\" : \\{\\s*\"(ssd\" : \"\",\\s*\"zone\" : \"east\"|zone\" : \"east\",\\s*\"ssd\" : \"\")\\s*\\}");

        manager.ok("node", "update", "--label-rm", "ssd", node2);
        assertThat(manager.ok("node", "inspect", "--pretty", node2).stdout()).contains("Labels:\n - zone=east\n")
                .doesNotContain("ssd");
        Cli missing = manager.cli("node", "update", "--label-rm", "ssd", node2);
        assertThat(missing.exitCode()).as(manager.context(missing)).isNotZero();
        assertThat(missing.stderr()).contains("key ssd doesn't exist in node's labels");
    }

    @Test
    @Order(2)
    void aConstraintPutsEveryTaskOnTheNodesThatMeetIt() {
        Cli create = manager.ok("service", "create", "--name", "east", "--replicas", "3",
                "--constraint", "node.labels.zone==east", "web");
        assertThat(create.stdout()).as(manager.context(create)).contains("verify: Service");

        assertThat(current("east")).hasSize(3).allSatisfy(r -> {
            assertThat(r.get("NODE")).isEqualTo(cluster.node(2).hostname());
            assertThat(r.get("CURRENT STATE")).startsWith("Running");
        });
        assertThat(manager.ok("service", "inspect", "--pretty", "east").stdout())
                .contains("Placement:\n Constraints:\t[node.labels.zone==east]\n");
    }

    @Test
    @Order(3)
    void aTaskThatFitsNowhereWaitsInPendingWithTheReasonUntilANodeQualifies() {
        manager.ok("service", "create", "-d", "--name", "north", "--constraint", "node.labels.zone==north", "web");
        manager.until(CONVERGE, "the task pending with Docker's reason", ps -> ps.table().stream().anyMatch(r ->
                        r.get("CURRENT STATE").startsWith("Pending")
                                && r.get("ERROR").equals("\"no suitable node (scheduling constraints not satisfied on 3 nodes)\"")),
                "service", "ps", "--no-trunc", "north");

        manager.ok("node", "update", "--label-add", "zone=north", cluster.node(1).hostname());
        manager.await(CONVERGE, () -> allRunningOn("north", 1, cluster.node(1).hostname()),
                manager.context("the pending task running on the node labeled zone=north"));
    }

    @Test
    @Order(4)
    void aLabelChangeMovesRunningTasksToTheNodesThatStillQualify() {
        String node2 = cluster.node(2).hostname();
        String node3 = cluster.node(3).hostname();
        manager.ok("node", "update", "--label-add", "zone=east", node3);
        manager.ok("node", "update", "--label-add", "zone=west", node2);

        manager.await(CONVERGE, () -> allRunningOn("east", 3, node3),
                manager.context("every task of east moved to " + node3));
        Cli ps = manager.ok("service", "ps", "--no-trunc", "east");
        assertThat(ps.table()).as(manager.context(ps)).filteredOn(r -> r.get("NAME").startsWith("\\_")).hasSize(3)
                .allSatisfy(r -> {
                    assertThat(r.get("NODE")).isEqualTo(node2);
                    assertThat(r.get("DESIRED STATE")).isEqualTo("Shutdown");
                    assertThat(r.get("CURRENT STATE")).startsWith("Rejected");
                    assertThat(r.get("ERROR")).contains("assigned node no longer meets constraints");
                });
        // Stopped as any shut-down task is: SIGTERM, then SIGKILL after the grace period.
        cluster.node(2).await(CONVERGE, () -> cluster.node(2).ok("ps").table().stream()
                .noneMatch(r -> r.get("NAMES").startsWith("east.")), cluster.node(2).context("no container of east left on " + node2));
    }

    @Test
    @Order(5)
    void replicasMaxPerNodeLeavesTheRestPending() {
        manager.ok("service", "create", "-d", "--name", "spread", "--replicas", "4", "--replicas-max-per-node", "1", "web");
        manager.until(CONVERGE, "three tasks running, one per node, the fourth pending", ps -> {
            List<Table.Row> rows = ps.table();
            long running = rows.stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")).map(r -> r.get("NODE"))
                    .distinct().count();
            return running == 3 && rows.stream().anyMatch(r -> r.get("CURRENT STATE").startsWith("Pending")
                    && r.get("ERROR").contains("max replicas per node limit exceed"));
        }, "service", "ps", "--no-trunc", "spread");
    }

    @Test
    @Order(6)
    void badConstraintsAndPreferencesAreRefusedWithDockersWords() {
        Cli noOperator = manager.cli("service", "create", "-d", "--name", "bad", "--constraint", "node.labels.zone=east", "web");
        assertThat(noOperator.exitCode()).isNotZero();
        assertThat(noOperator.stderr().strip())
                .isEqualTo("Error response from daemon: constraint expected one operator from ==, !=");
        Cli badKey = manager.cli("service", "create", "-d", "--name", "bad", "--constraint", "1zone==east", "web");
        assertThat(badKey.stderr().strip()).isEqualTo("Error response from daemon: key '1zone' is invalid");
        Cli badPref = manager.cli("service", "create", "-d", "--name", "bad", "--placement-pref", "pack=node.labels.zone", "web");
        assertThat(badPref.exitCode()).isNotZero();
        assertThat(badPref.stderr()).contains("unsupported placement preference pack (only spread is supported)");
        Cli global = manager.cli("service", "create", "-d", "--name", "bad", "--mode", "global",
                "--replicas-max-per-node", "1", "web");
        assertThat(global.stderr().strip()).isEqualTo("replicas-max-per-node can only be used with replicated mode");
        assertThat(manager.ok("service", "ls", "-q").lines()).as("nothing half made").hasSize(3);
    }

    @Test
    @Order(7)
    void reservationsFillNodesAndTheRestWaitsForResources() {
        String node2 = cluster.node(2).hostname();
        Cli pretty = manager.ok("node", "inspect", "--pretty", node2);
        assertThat(pretty.stdout()).as(manager.context(pretty)).containsPattern(
                "Resources:\n CPUs:\t\t\t" + Runtime.getRuntime().availableProcessors() + "\n Memory:\t\t[0-9.]+GiB\n");
        Cli json = manager.ok("node", "inspect", node2);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"MemoryBytes\" : ([0-9]+)").matcher(json.stdout());
        assertThat(m.find()).as(manager.context(json)).isTrue();
        long memory = Long.parseLong(m.group(1));
        assertThat(memory).isPositive();

        // Each task reserves 60% of a node's memory: one per node, the fourth fits nowhere.
        String reserve = String.valueOf(memory * 6 / 10);
        manager.ok("service", "create", "-d", "--name", "big", "--replicas", "4", "--reserve-memory", reserve, "web");
        manager.until(CONVERGE, "three tasks running on three nodes, the fourth pending for resources", ps -> {
            List<Table.Row> rows = ps.table();
            long nodes = rows.stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")).map(r -> r.get("NODE"))
                    .distinct().count();
            return nodes == 3 && rows.stream().anyMatch(r -> r.get("CURRENT STATE").startsWith("Pending")
                    && r.get("ERROR").equals("\"no suitable node (insufficient resources on 3 nodes)\""));
        }, "service", "ps", "--no-trunc", "big");
        Cli inspect = manager.ok("service", "inspect", "--pretty", "big");
        assertThat(inspect.stdout()).as(manager.context(inspect))
                .containsPattern("Resources:\n Reservations:\n  Memory:\t[0-9]+(\\.[0-9]{1,2})?GiB\n");
        manager.ok("service", "rm", "big");
    }

    @Test
    @Order(8)
    void limitsAreSetOnTheTasksCgroupAndAnUpdateReplacesThem() {
        manager.ok("service", "create", "--name", "capped", "--limit-memory", "64m", "--limit-cpu", "0.5",
                "--limit-pids", "50", "web");
        Cli inspect = manager.ok("service", "inspect", "capped");
        assertThat(inspect.stdout()).as(manager.context(inspect)).containsPattern(
                "\"Limits\" : \\{\\s*\"NanoCPUs\" : 500000000,\\s*\"MemoryBytes\" : 67108864,\\s*\"Pids\" : 50\\s*\\}");
        assertThat(manager.ok("service", "inspect", "--pretty", "capped").stdout())
                .contains("Resources:\n Limits:\n  CPU:\t\t0.5\n  Memory:\t64MiB\n  PIDs:\t\t50\n");
        assertThat(cgroup("capped", "memory/memory.limit_in_bytes")).isEqualTo("67108864");
        assertThat(cgroup("capped", "cpu/cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(cgroup("capped", "cpu/cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(cgroup("capped", "pids/pids.max")).isEqualTo("50");

        manager.ok("service", "update", "--limit-memory", "128m", "--limit-pids", "0", "capped");
        assertThat(cgroup("capped", "memory/memory.limit_in_bytes")).isEqualTo("134217728");
        assertThat(cgroup("capped", "pids/pids.max")).isEqualTo("max");
        manager.ok("service", "rm", "capped");
    }

    /** A file of the cgroup hierarchy as the running task of {@code service} sees it. */
    private String cgroup(String service, String file) {
        Table.Row task = current(service).stream().filter(r -> r.get("CURRENT STATE").startsWith("Running"))
                .findFirst().orElseThrow(() -> new AssertionError(manager.context("no running task of " + service).get()));
        TestNode node = cluster.nodes().stream().filter(n -> n.hostname().equals(task.get("NODE"))).findFirst().orElseThrow();
        String container = node.ok("ps").table().stream().map(r -> r.get("NAMES"))
                .filter(n -> n.startsWith(task.get("NAME") + ".")).findFirst()
                .orElseThrow(() -> new AssertionError(node.context("no container of " + task.get("NAME")).get()));
        return node.ok("exec", container, "cat", "/sys/fs/cgroup/" + file).stdout().strip();
    }

    @Test
    @Order(9)
    void badResourceValuesAreRefusedWithDockersWords() {
        Cli size = manager.cli("service", "create", "-d", "--name", "bad", "--limit-memory", "lots", "web");
        assertThat(size.exitCode()).isNotZero();
        assertThat(size.stderr()).contains("invalid argument \"lots\" for \"--limit-memory\" flag: invalid size: 'lots'");
        Cli cpu = manager.cli("service", "create", "-d", "--name", "bad", "--reserve-cpu", "0.0001", "web");
        assertThat(cpu.exitCode()).isNotZero();
        assertThat(cpu.stderr().strip()).isEqualTo("Error response from daemon: invalid cpu value 0.0001: Must be at least 0.001");
        Cli memory = manager.cli("service", "create", "-d", "--name", "bad", "--limit-memory", "1m", "web");
        assertThat(memory.stderr().strip())
                .isEqualTo("Error response from daemon: invalid memory value 1048576: Must be at least 4MiB");
        assertThat(manager.ok("service", "ls").table()).as("nothing half made").noneMatch(r -> r.get("NAME").equals("bad"));
    }
}
