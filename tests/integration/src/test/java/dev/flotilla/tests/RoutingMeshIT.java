package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
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

/**
 * A replicated service publishing 8080:80: progress output, `service ls`/`ps`, round robin through
 * the routing mesh, scaling, a port conflict, and removal. Every test but the last leaves the
 * service as it found it (3 replicas); removal runs last.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RoutingMeshIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestNode node;
    private Cli create;

    @BeforeAll
    void createService() {
        node = TestNode.startManagerWithWebImage(getClass().getSimpleName());
        create = node.cli("service", "create", "--name", "web", "--replicas", "3", "-p", "8080:80", "web");
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    @Order(1)
    void createPrintsTheIdAndProgressUntilConverged() {
        assertThat(create.exitCode()).as(node.context(create)).isZero();
        List<String> lines = create.lines();
        assertThat(lines.get(0)).as(node.context(create)).matches("[0-9a-z]{25}");
        assertThat(lines).as(node.context(create))
                .contains("overall progress: 3 out of 3 tasks", "verify: Service converged")
                .anySatisfy(l -> assertThat(l).matches("1/3: running +\\[=+>\\]"))
                .anySatisfy(l -> assertThat(l).matches("2/3: running +\\[=+>\\]"))
                .anySatisfy(l -> assertThat(l).matches("3/3: running +\\[=+>\\]"));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("verify: Service converged");
    }

    @Test
    @Order(2)
    void serviceLsAndPsShowThreeRunningReplicas() {
        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls)).singleElement().satisfies(row -> {
            assertThat(create.stdout()).startsWith(row.get("ID"));
            assertThat(row.get("ID")).hasSize(12);
            assertThat(row.get("NAME")).isEqualTo("web");
            assertThat(row.get("MODE")).isEqualTo("replicated");
            assertThat(row.get("REPLICAS")).isEqualTo("3/3");
            assertThat(row.get("IMAGE")).isEqualTo("web:latest");
            assertThat(row.get("PORTS")).isEqualTo("*:8080->80/tcp");
        });

        Cli ps = node.ok("service", "ps", "web");
        assertThat(ps.table()).as(node.context(ps)).hasSize(3).allSatisfy(row -> {
            assertThat(row.get("ID")).matches("[0-9a-z]{12}");
            assertThat(row.get("IMAGE")).isEqualTo("web:latest");
            assertThat(row.get("NODE")).isNotBlank();
            assertThat(row.get("DESIRED STATE")).isEqualTo("Running");
            assertThat(row.get("CURRENT STATE")).startsWith("Running ");
            assertThat(row.get("ERROR")).isEmpty();
        });
        assertThat(ps.table()).extracting(r -> r.get("NAME")).containsExactlyInAnyOrder("web.1", "web.2", "web.3");
    }

    @Test
    @Order(2)
    void inspectShowsTheSpecAndEndpointAsDockerDoes() throws Exception {
        Cli inspect = node.ok("service", "inspect", "web");
        com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(inspect.stdout());
        assertThat(doc.isArray()).as(node.context(inspect)).isTrue();
        assertThat(doc).hasSize(1);
        com.fasterxml.jackson.databind.JsonNode s = doc.get(0);
        assertThat(create.stdout()).startsWith(s.path("ID").asText());
        assertThat(s.at("/Spec/Name").asText()).isEqualTo("web");
        assertThat(s.at("/Spec/Mode/Replicated/Replicas").asLong()).isEqualTo(3);
        assertThat(s.at("/Spec/TaskTemplate/ContainerSpec/Image").asText()).isEqualTo("web:latest");
        assertThat(s.at("/Spec/TaskTemplate/RestartPolicy/Condition").asText()).isEqualTo("any");
        assertThat(s.at("/Spec/TaskTemplate/RestartPolicy/Delay").asLong()).isEqualTo(5_000_000_000L);
        assertThat(s.at("/Endpoint/Ports/0/PublishedPort").asInt()).isEqualTo(8080);
        assertThat(s.at("/Endpoint/Ports/0/TargetPort").asInt()).isEqualTo(80);
        assertThat(s.at("/Endpoint/Ports/0/PublishMode").asText()).isEqualTo("ingress");
        assertThat(s.at("/Endpoint/Ports/0/Protocol").asText()).isEqualTo("tcp");
        assertThat(s.at("/Spec/EndpointSpec/Mode").asText()).isEqualTo("vip");
        assertThat(s.at("/Version/Index").asLong()).isPositive();

        Cli pretty = node.ok("service", "inspect", "--pretty", "web");
        assertThat(pretty.stdout()).contains("Name:           web", " Replicas:      3", " PublishedPort = 8080",
                " Condition:     any", "Endpoint Mode:  vip", "  Protocol = tcp", "  PublishMode = ingress");
    }

    @Test
    @Order(3)
    void meshBalancesRoundRobinOverTheThreeTasks() {
        List<String> hosts = node.hellos(8080, 6);
        assertThat(new HashSet<>(hosts)).as("hosts answering 6 requests: %s", hosts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(hosts.get(i + 3)).as("round robin: request %d and %d, in %s", i + 1, i + 4, hosts)
                    .isEqualTo(hosts.get(i));
        }
        Cli ps = node.ok("ps");
        assertThat(new HashSet<>(hosts)).as("each answer's hostname is a container's short id\n%s", ps)
                .isEqualTo(containerIds(ps));
    }

    @Test
    @Order(4)
    void scalesDownToOneAndBackToThree() {
        Cli down = node.ok("service", "scale", "web=1");
        assertThat(down.lines()).as(node.context(down))
                .contains("web scaled to 1", "overall progress: 1 out of 1 tasks", "verify: Service converged");
        assertThat(replicas()).isEqualTo("1/1");
        Cli ps = node.until(CONVERGE, "a single container in `flotilla ps`",
                cli -> cli.ok() && cli.table().size() == 1, "ps");
        List<String> hosts = node.hellos(8080, 4);
        assertThat(hosts).as("one replica answers every request").containsOnly(ps.table().get(0).get("CONTAINER ID"));

        Cli up = node.ok("service", "scale", "web=3");
        assertThat(up.lines()).as(node.context(up)).contains("web scaled to 3", "verify: Service converged");
        assertThat(replicas()).isEqualTo("3/3");
        // The mesh learns the new backends from the tasks' status: give it a moment, not forever.
        Set<String> seen = new HashSet<>();
        node.await(CONVERGE, () -> {
            seen.clear();
            seen.addAll(node.hellos(8080, 3));
            return seen.size() == 3;
        }, () -> "3 requests answered by 3 different tasks, last: " + seen);
        assertThat(seen).isEqualTo(containerIds(node.ok("ps")));
    }

    @Test
    @Order(5)
    void aPublishedPortInUseIsRefusedAndNothingIsCreated() {
        Cli second = node.cli("service", "create", "--name", "web2", "-p", "8080:80", "web");
        assertThat(second.exitCode()).as(node.context(second)).isEqualTo(1);
        assertThat(second.stderr().strip()).as(node.context(second))
                .contains("port '8080' is already in use by service 'web'")
                .doesNotContain("\n");
        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls)).extracting(r -> r.get("NAME")).containsExactly("web");
        assertThat(node.hello(8080)).as("the first service still answers").isNotBlank();
    }

    @Test
    @Order(6)
    void removeClosesThePortAndStopsTheContainers() {
        Cli rm = node.ok("service", "rm", "web");
        assertThat(rm.stdout().strip()).isEqualTo("web");
        assertThat(node.ok("service", "ls").table()).isEmpty();
        node.await(CONVERGE, () -> !node.curl("http://127.0.0.1:8080/").ok(), () -> "port 8080 to close");
        node.until(CONVERGE, "no container left in `flotilla ps`", cli -> cli.ok() && cli.table().isEmpty(), "ps");
        node.await(CONVERGE, () -> node.containers().isEmpty(),
                () -> "no runc container under the data root, still: " + node.containers());
    }

    private String replicas() {
        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls)).hasSize(1);
        return ls.table().get(0).get("REPLICAS");
    }

    private static Set<String> containerIds(Cli ps) {
        Set<String> ids = new HashSet<>();
        ps.table().forEach(r -> ids.add(r.get("CONTAINER ID")));
        return ids;
    }
}
