package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes, one overlay network and a service spread one task per node (seed 3.3.3.6): tasks
 * reach each other across nodes over Flotilla's VTEPs (TCP and ICMP, both ways), and every
 * node's published port is answered by the tasks of all nodes, also a node that runs none.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class OverlayIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final Pattern INET = Pattern.compile("inet (10\\.\\d+\\.\\d+\\.\\d+)/");

    private TestCluster cluster;
    private TestNode manager;
    /** Per node: the web task's container id and its address on appnet. */
    private final Map<TestNode, String[]> tasks = new HashMap<>();

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s");
        manager = cluster.node(1);
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void overlayNetworkIsCreatedAndListed() {
        manager.ok("network", "create", "-d", "overlay", "appnet");
        assertThat(manager.ok("network", "ls").table()).anySatisfy(r -> {
            assertThat(r.get("NAME")).isEqualTo("appnet");
            assertThat(r.get("DRIVER")).isEqualTo("overlay");
            assertThat(r.get("SCOPE")).isEqualTo("swarm");
        });
    }

    @Test
    @Order(2)
    void aServiceSpreadsOverTheThreeNodes() {
        manager.ok("service", "create", "--name", "web", "--replicas", "3", "-p", "8080:80", "--network", "appnet", "web");
        Cli ps = manager.until(CONVERGE, "3 running tasks", c -> c.ok() && c.table().stream()
                .filter(r -> r.get("CURRENT STATE").startsWith("Running")).count() == 3, "service", "ps", "web");
        assertThat(ps.table()).extracting(r -> r.get("NODE")).containsExactlyInAnyOrder("node-1", "node-2", "node-3");
        Matcher cidr = Pattern.compile("\"Subnet\" : \"([0-9./]+)\"").matcher(manager.ok("network", "inspect", "appnet").stdout());
        assertThat(cidr.find()).isTrue();
        String subnet = cidr.group(1);
        for (TestNode n : cluster.nodes()) {
            String container = n.ok("ps", "-q").lines().get(0);
            Cli addr = n.ok("exec", container, "ip", "-4", "-o", "addr");
            String ip = null;
            Matcher m = INET.matcher(addr.stdout());
            while (m.find()) {
                if (inSubnet(m.group(1), subnet)) {
                    ip = m.group(1);
                }
            }
            assertThat(ip).as("the task's address on appnet (%s) in\n%s", subnet, addr).isNotNull();
            tasks.put(n, new String[] {container, ip});
        }
    }

    private static boolean inSubnet(String ip, String cidr) {
        int slash = cidr.indexOf('/');
        int bits = Integer.parseInt(cidr.substring(slash + 1));
        long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return (toLong(ip) & mask) == (toLong(cidr.substring(0, slash)) & mask);
    }

    private static long toLong(String ip) {
        long v = 0;
        for (String part : ip.split("\\.")) {
            v = (v << 8) | Integer.parseInt(part);
        }
        return v;
    }

    @Test
    @Order(3)
    void tasksReachEachOtherAcrossNodesBothWays() {
        List<TestNode> nodes = cluster.nodes();
        for (TestNode from : nodes) {
            for (TestNode to : nodes) {
                if (from == to) {
                    continue;
                }
                String[] src = tasks.get(from);
                String[] dst = tasks.get(to);
                Cli[] got = new Cli[1];
                from.await(CONVERGE, () -> (got[0] = from.cli("exec", src[0], "wget", "-qO-", "http://" + dst[1] + "/")).ok(),
                        () -> from.hostname() + " -> " + to.hostname() + " over appnet: " + got[0]);
                assertThat(got[0].stdout()).contains("Hello, " + dst[0].substring(0, 12));
                Cli ping = from.cli("exec", src[0], "ping", "-c", "1", "-W", "2", dst[1]);
                assertThat(ping.exitCode()).as(from.context(ping)).isZero();
                assertThat(ping.stdout()).contains("1 packets received");
            }
        }
    }

    @Test
    @Order(4)
    void everyNodesPublishedPortReachesTheTasksOfAllNodes() {
        Set<String> all = new HashSet<>();
        tasks.values().forEach(t -> all.add(t[0].substring(0, 12)));
        for (TestNode n : cluster.nodes()) {
            Set<String> seen = new HashSet<>();
            n.await(CONVERGE, () -> {
                seen.addAll(n.hellos(8080, 3));
                return seen.containsAll(all);
            }, () -> n.hostname() + ":8080 answered by " + seen + ", expected " + all);
            assertThat(seen).isEqualTo(all);
        }
    }

    @Test
    @Order(5)
    void aNodeWithoutTasksStillAnswersItsPublishedPort() {
        manager.ok("service", "create", "--name", "solo", "--replicas", "1", "-p", "8081:80", "web");
        Cli ps = manager.until(CONVERGE, "1 running task", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("CURRENT STATE").startsWith("Running")), "service", "ps", "solo");
        String host = ps.table().stream().filter(r -> r.get("CURRENT STATE").startsWith("Running"))
                .findFirst().orElseThrow().get("NODE");
        for (TestNode n : cluster.nodes()) {
            String[] answer = new String[1];
            n.await(CONVERGE, () -> {
                Cli c = n.curl("http://127.0.0.1:8081/");
                answer[0] = c.stdout();
                return c.ok() && c.stdout().contains("Hello, ");
            }, () -> n.hostname() + ":8081 (task on " + host + ") answered " + answer[0]);
        }
    }

    @Test
    @Order(6)
    void theNetworkCannotBeRemovedWhileUsed() {
        Cli rm = manager.cli("network", "rm", "appnet");
        assertThat(rm.exitCode()).as(manager.context(rm)).isNotZero();
        assertThat(rm.stderr()).contains("in use by service web");
    }
}
