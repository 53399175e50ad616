package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
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

/** Overlay networks on one node: create, ls, inspect, services attached to one, rm (refused while used). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NetworkIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final Pattern ETH0 = Pattern.compile("eth0\\s+inet (10\\.0\\.16\\.\\d+)/20");
    private static final ObjectMapper JSON = new ObjectMapper();

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

    private JsonNode inspect(String network) throws Exception {
        Cli cli = node.ok("network", "inspect", network);
        return JSON.readTree(cli.stdout()).get(0);
    }

    @Test
    @Order(1)
    void lsShowsIngressAndTheGwbridgeAsInDocker() {
        Cli ls = node.ok("network", "ls");
        assertThat(ls.table()).as(node.context(ls))
                .anySatisfy(r -> assertThat(List.of(r.get("NAME"), r.get("DRIVER"), r.get("SCOPE")))
                        .containsExactly("ingress", "overlay", "swarm"))
                .anySatisfy(r -> assertThat(List.of(r.get("NAME"), r.get("DRIVER"), r.get("SCOPE")))
                        .containsExactly("flotilla_gwbridge", "bridge", "local"));
    }

    @Test
    @Order(2)
    void createTakesTheNextSubnetOfThePoolAndTheNextVni() throws Exception {
        Cli created = node.ok("network", "create", "-d", "overlay", "discovery");
        assertThat(created.stdout().strip()).matches("[0-9a-z]{25}");
        JsonNode n = inspect("discovery");
        assertThat(n.path("Driver").asText()).isEqualTo("overlay");
        assertThat(n.at("/IPAM/Config/0/Subnet").asText()).isEqualTo("10.0.16.0/20");
        assertThat(n.at("/IPAM/Config/0/Gateway").asText()).isEqualTo("10.0.16.1");
        assertThat(n.at("/Options/com.docker.network.driver.overlay.vxlanid_list").asText()).isEqualTo("4097");

        node.ok("network", "create", "-d", "overlay", "--subnet", "10.200.0.0/24", "--attachable", "mine");
        assertThat(inspect("mine").at("/IPAM/Config/0/Subnet").asText()).isEqualTo("10.200.0.0/24");
        assertThat(inspect("mine").path("Attachable").asBoolean()).isTrue();

        Cli duplicate = node.cli("network", "create", "-d", "overlay", "discovery");
        assertThat(duplicate.exitCode()).isEqualTo(1);
        assertThat(duplicate.stderr()).contains("network with name discovery already exists");
        Cli overlap = node.cli("network", "create", "-d", "overlay", "--subnet", "10.200.0.128/25", "other");
        assertThat(overlap.exitCode()).isEqualTo(1);
        assertThat(overlap.stderr()).contains("overlaps");
        Cli ls = node.ok("network", "ls");
        assertThat(ls.table()).extracting(r -> r.get("NAME")).doesNotContain("other").contains("discovery", "mine");
    }

    @Test
    @Order(3)
    void tasksOnTheSameNetworkReachEachOther() {
        node.ok("service", "create", "--name", "server", "--replicas", "2", "--network", "discovery", "web");
        node.ok("service", "create", "--name", "client", "--network", "discovery", "web");
        List<Table.Row> containers = node.ok("ps").table();
        String client = containers.stream().filter(r -> r.get("NAMES").startsWith("client.")).findFirst()
                .orElseThrow().get("CONTAINER ID");
        Table.Row server = containers.stream().filter(r -> r.get("NAMES").startsWith("server.")).findFirst().orElseThrow();
        Cli addr = node.ok("exec", server.get("CONTAINER ID"), "ip", "-4", "-o", "addr", "show", "eth0");
        Matcher m = ETH0.matcher(addr.stdout());
        assertThat(m.find()).as("server's address on discovery in\n%s", addr).isTrue();

        Cli[] got = new Cli[1];
        node.await(CONVERGE, () -> (got[0] = node.cli("exec", client, "wget", "-qO-", "http://" + m.group(1) + "/")).ok(),
                () -> "client reaches the server over the network: " + got[0]);
        assertThat(got[0].stdout()).contains("Hello, " + server.get("CONTAINER ID"));
    }

    @Test
    @Order(4)
    void rmIsRefusedWhileAServiceUsesTheNetwork() {
        Cli refused = node.cli("network", "rm", "discovery");
        assertThat(refused.exitCode()).as(node.context(refused)).isEqualTo(1);
        assertThat(refused.stderr()).contains("in use by service client, server");
        Cli ingress = node.cli("network", "rm", "ingress");
        assertThat(ingress.exitCode()).isEqualTo(1);

        node.ok("service", "rm", "client", "server");
        node.ok("network", "rm", "discovery", "mine");
        Cli ls = node.ok("network", "ls");
        assertThat(ls.table()).extracting(r -> r.get("NAME")).doesNotContain("discovery", "mine").contains("ingress");
        node.await(CONVERGE, () -> node.namespaces().stream().noneMatch(ns -> ns.contains("-task-")),
                () -> "the services' sandboxes are gone: " + node.namespaces());
    }
}
