package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** The node's containers as `flotilla ps`/`exec`/`rm -f` show them, for a 3-replica web service. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ContainerIT {
    private static final String TASK_NAME = "web\\.([1-3])\\.([0-9a-z]{25})";

    private TestNode node;

    @BeforeAll
    void createService() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
        node.ok("service", "create", "--name", "web", "--replicas", "3", "-p", "8080:80", "--restart-delay", "1s", "web");
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void psListsOneContainerPerTaskNamedAfterIt() {
        Cli ps = node.ok("ps");
        List<Table.Row> rows = ps.table();
        assertThat(rows).as(node.context(ps)).hasSize(3).allSatisfy(row -> {
            assertThat(row.get("CONTAINER ID")).matches("[0-9a-f]{12}");
            assertThat(row.get("IMAGE")).isEqualTo("web:latest");
            assertThat(row.get("STATUS")).startsWith("Up");
            assertThat(row.get("NAMES")).matches(TASK_NAME);
        });
        assertThat(rows).extracting(r -> r.get("NAMES").split("\\.")[1]).containsExactlyInAnyOrder("1", "2", "3");

        Cli tasks = node.ok("service", "ps", "web", "--no-trunc");
        assertThat(rows).as("container names are web.<slot>.<task id of `service ps`>\n%s", tasks)
                .extracting(r -> r.get("NAMES"))
                .containsExactlyInAnyOrderElementsOf(tasks.table().stream()
                        .map(t -> t.get("NAME") + "." + t.get("ID")).toList());

        Cli quiet = node.ok("ps", "-q");
        assertThat(quiet.lines()).containsExactlyInAnyOrderElementsOf(rows.stream().map(r -> r.get("CONTAINER ID")).toList());
    }

    @Test
    @Order(2)
    void execRunsInTheContainerByIdAndByName() {
        Table.Row container = node.ok("ps").table().get(0);
        String id = container.get("CONTAINER ID");
        Cli byId = node.ok("exec", id, "hostname");
        assertThat(byId.stdout().strip()).as(node.context(byId)).isEqualTo(id);
        Cli byName = node.ok("exec", container.get("NAMES"), "cat", "/www/index.html");
        assertThat(byName.stdout().strip()).as(node.context(byName)).isEqualTo("<p>Hello, " + id + "</p>");
    }

    @Test
    @Order(3)
    void execPassesTheExitCodeAndBothStreams() {
        String id = node.ok("ps", "-q").lines().get(0);
        Cli cli = node.cli("exec", id, "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
        assertThat(cli.exitCode()).as(node.context(cli)).isEqualTo(3);
        assertThat(cli.stdout().strip()).as(node.context(cli)).isEqualTo("to-out");
        assertThat(cli.stderr().strip()).as(node.context(cli)).isEqualTo("to-err");
    }

    @Test
    @Order(3)
    void execRunsInTheDaemonSoItWorksUnderIpNetnsExecAndFeedsStdinWithI() {
        String id = node.ok("ps", "-q").lines().get(0);
        // `ip netns exec` remounts /sys: a runc started there finds no cgroup mount. The daemon runs it.
        String script = "printf 'piped-in\\n' | ip netns exec \"$0\" \"$1\" -H \"$2\" exec -i \"$3\" sh -c 'cat; exit 4'";
        Cli cli = Processes.run(Duration.ofSeconds(60), "sh", "-c", script, node.name(), Processes.flotilla().toString(),
                node.host(), id);
        assertThat(cli.exitCode()).as(node.context(cli)).isEqualTo(4);
        assertThat(cli.stdout()).as(node.context(cli)).isEqualTo("piped-in\n");
        Cli missing = node.cli("exec", "no-such-container", "true");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("No such container: no-such-container");
    }

    @Test
    @Order(3)
    void aTaskHasItsOwnNetworkWithTheIngressLegFirstAndEgressThroughTheGwbridge() {
        String id = node.ok("ps", "-q").lines().get(0);
        Cli addrs = node.ok("exec", id, "ip", "-4", "-o", "addr", "show");
        assertThat(addrs.stdout()).as(node.context(addrs))
                .containsPattern("eth0\\s+inet 10\\.0\\.\\d+\\.\\d+/20")
                .containsPattern("eth1\\s+inet 172\\.18\\.\\d+\\.\\d+/16");
        Cli route = node.ok("exec", id, "ip", "route");
        assertThat(route.stdout()).as(node.context(route)).contains("default via 172.18.0.1 dev eth1");
        // The node's own underlay address is outside the task: reached through the gwbridge.
        Cli ping = node.cli("exec", id, "ping", "-c", "1", "-W", "3", node.address());
        assertThat(ping.exitCode()).as(node.context(ping)).isZero();
    }

    @Test
    @Order(4)
    void aForceRemovedContainerFailsItsTaskAndTheSlotGetsANewOne() {
        Table.Row victim = node.ok("ps").table().stream()
                .filter(r -> r.get("NAMES").startsWith("web.2.")).findFirst().orElseThrow();
        String id = victim.get("CONTAINER ID");
        String oldTask = victim.get("NAMES").substring("web.2.".length());

        Cli rm = node.ok("rm", "-f", id);
        assertThat(rm.stdout().strip()).isEqualTo(id);
        // While slot 2 is empty the other two tasks keep serving.
        assertThat(node.hellos(8080, 4)).as("answers right after rm -f").doesNotContain(id);

        Cli ps = node.until(Duration.ofSeconds(60), "slot 2 to run a new task after its old one failed",
                cli -> cli.ok() && cli.table().stream().anyMatch(r -> r.get("NAME").equals("web.2")
                        && !r.get("ID").equals(oldTask) && r.get("CURRENT STATE").startsWith("Running")),
                "service", "ps", "web", "--no-trunc");
        assertThat(ps.table()).as(node.context(ps))
                .filteredOn(r -> r.get("ID").equals(oldTask)).singleElement().satisfies(old -> {
                    assertThat(old.get("NAME")).isEqualTo("\\_ web.2");
                    assertThat(old.get("DESIRED STATE")).isEqualTo("Shutdown");
                    assertThat(old.get("CURRENT STATE")).startsWith("Failed ");
                    assertThat(old.get("ERROR")).isEqualTo("\"task: non-zero exit (137)\"");
                });
        assertThat(ps.table()).as(node.context(ps))
                .filteredOn(r -> r.get("DESIRED STATE").equals("Running")).hasSize(3)
                .allSatisfy(r -> assertThat(r.get("CURRENT STATE")).startsWith("Running "));

        Cli containers = node.until(Duration.ofSeconds(30), "3 containers, one of them the new task of slot 2",
                cli -> cli.ok() && cli.table().size() == 3
                        && cli.table().stream().anyMatch(r -> r.get("NAMES").matches("web\\.2\\.(?!" + oldTask + ").*")),
                "ps");
        assertThat(containers.table()).extracting(r -> r.get("CONTAINER ID")).doesNotContain(id);
        Set<String> current = new HashSet<>(containerIds(containers));
        List<String> answers = new ArrayList<>();
        node.await(Duration.ofSeconds(30), () -> {
            answers.clear();
            answers.addAll(node.hellos(8080, 3));
            return new HashSet<>(answers).equals(current);
        }, () -> "3 requests answered by the 3 current containers " + current + ", last: " + answers);
    }

    private static List<String> containerIds(Cli ps) {
        return ps.table().stream().map(r -> r.get("CONTAINER ID")).toList();
    }
}
