package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** The daemon killed with -9 and restarted keeps its services without duplicates; SIGTERM leaves nothing behind. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RestartIT {
    private static final Duration RECOVER = Duration.ofSeconds(90);

    private TestNode node;

    @BeforeAll
    void createService() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
        node.ok("service", "create", "--name", "web", "--replicas", "3", "-p", "8080:80", "web");
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void afterKill9TheRestartedDaemonRunsTheServiceAgainWithoutDuplicates() {
        Set<String> containersBefore = node.containers();
        Set<String> namespacesBefore = node.namespaces();
        assertThat(containersBefore).as(node.context("3 runc containers before the kill")).hasSize(3);
        assertThat(namespacesBefore).as(node.context("the daemon's namespaces before the kill"))
                .anyMatch(ns -> ns.startsWith("fl-" + node.tag() + "-net-"))
                .filteredOn(ns -> ns.startsWith("fl-" + node.tag() + "-task-")).hasSize(3);

        node.killDaemon();
        node.startDaemon();

        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls)).singleElement().satisfies(row -> {
            assertThat(row.get("NAME")).isEqualTo("web");
            assertThat(row.get("REPLICAS")).endsWith("/3");
            assertThat(row.get("PORTS")).isEqualTo("*:8080->80/tcp");
        });

        AtomicInteger most = new AtomicInteger();
        Cli ps = node.until(RECOVER, "3 Running tasks and 3 runc containers after the restart",
                cli -> {
                    int containers = node.containers().size();
                    most.accumulateAndGet(containers, Math::max);
                    return cli.ok() && containers == 3 && running(cli).size() == 3;
                },
                "service", "ps", "web", "--no-trunc");
        assertThat(most.get()).as(node.context("never more runc containers than replicas while recovering")).isEqualTo(3);
        Set<String> containersAfter = node.containers();
        assertThat(containersAfter).as(node.context("the killed daemon's containers were removed"))
                .hasSize(3).doesNotContainAnyElementsOf(containersBefore);
        assertThat(ps.table()).as(node.context(ps))
                .filteredOn(r -> r.get("CURRENT STATE").startsWith("Failed"))
                .hasSize(3)
                .allSatisfy(r -> assertThat(r.get("ERROR")).isEqualTo("\"task lost: the node's daemon restarted\""));

        Set<String> expected = new TreeSet<>();
        running(ps).forEach(task -> expected.add("fl-" + node.tag() + "-task-" + task.substring(0, 12)));
        Set<String> namespacesAfter = node.namespaces();
        assertThat(namespacesAfter).as(node.context("old task namespaces gone: only the running tasks' and the networks'"))
                .filteredOn(ns -> !ns.startsWith("fl-" + node.tag() + "-net-"))
                .containsExactlyInAnyOrderElementsOf(expected);

        List<String> hosts = node.hellos(8080, 3);
        Set<String> shortIds = new HashSet<>();
        containersAfter.forEach(id -> shortIds.add(id.substring(0, 12)));
        assertThat(new HashSet<>(hosts)).as("the mesh answers from the new containers: %s", hosts).isEqualTo(shortIds);
    }

    @Test
    @Order(2)
    void sigtermStopsTheDaemonAndRemovesItsContainersAndNamespaces() {
        if (!node.daemonRunning()) {
            node.startDaemon();
        }
        node.await(RECOVER, () -> !node.containers().isEmpty() && !node.namespaces().isEmpty(),
                () -> "the daemon to run containers, to have something to clean up");

        int exit = node.terminateDaemon();
        assertThat(node.containers()).as(node.context("runc containers after SIGTERM (daemon exit " + exit + ")")).isEmpty();
        assertThat(node.namespaces()).as(node.context("fl-" + node.tag() + "-* namespaces after SIGTERM")).isEmpty();
        Cli gone = node.cli("info");
        assertThat(gone.stderr()).as(gone.toString()).contains("Cannot connect to the Flotilla daemon");
    }

    /** Ids of the tasks that `service ps` shows desired and currently Running. */
    private static List<String> running(Cli ps) {
        return ps.table().stream()
                .filter(r -> r.get("DESIRED STATE").equals("Running") && r.get("CURRENT STATE").startsWith("Running "))
                .map(r -> r.get("ID"))
                .toList();
    }
}
