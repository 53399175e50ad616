package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The routing mesh for UDP: a service publishing 9999/udp, each task answering datagrams with its
 * hostname (a static C fixture, src/test/c/udp-hostname.c). Every client socket is a new flow, and
 * new flows go to the tasks round robin.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UdpMeshIT {
    private static final Duration TOOL = Duration.ofSeconds(60);

    private TestNode node;
    private Path fixture;

    @BeforeAll
    void createService() {
        node = TestNode.start(getClass().getSimpleName());
        node.initSwarm();
        UdpFixture udp = UdpFixture.build(node.dir());
        fixture = udp.binary;
        udp.importImage(node, "udp", 9999);
        node.ok("service", "create", "--name", "echo", "--replicas", "3", "-p", "9999:9999/udp", "udp");
    }

    @AfterAll
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    /** One datagram from a fresh socket inside the node; the hostname of the task that answered. */
    private String ask() {
        Cli cli = Processes.run(TOOL, "ip", "netns", "exec", node.name(), fixture.toString(), "ask", "127.0.0.1", "9999");
        assertThat(cli.exitCode()).as(node.context(cli)).isZero();
        return cli.stdout().strip();
    }

    @Test
    void newFlowsGoToTheTasksRoundRobin() {
        Cli ls = node.ok("service", "ls");
        assertThat(ls.table()).as(node.context(ls)).singleElement()
                .satisfies(row -> assertThat(row.get("PORTS")).isEqualTo("*:9999->9999/udp"));

        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            hosts.add(ask());
        }
        assertThat(new HashSet<>(hosts)).as("tasks answering 6 flows: %s", hosts).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(hosts.get(i + 3)).as("round robin over flows, in %s", hosts).isEqualTo(hosts.get(i));
        }
        Cli ps = node.ok("ps");
        assertThat(ps.table()).extracting(r -> r.get("CONTAINER ID")).containsExactlyInAnyOrderElementsOf(new HashSet<>(hosts));
    }
}
