package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * One answer under concurrent writes: two managers asked at the same instant for clashing
 * objects (the same network name, the same published port) give exactly one winner, seen alike
 * from every manager, and the loser the sentence a sequential clash gives. Creates that only
 * chose the same free subnet or VXLAN id both succeed, with different ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ConcurrentWritesIT {
    private static final int ROUNDS = 20;
    private static final Duration CONVERGE = Duration.ofSeconds(60);

    private TestCluster cluster;

    @BeforeAll
    void startManagers() {
        cluster = TestCluster.start(getClass().getSimpleName(), 3);
        cluster.init("1s");
        cluster.node(1).importWebImage("web");
        for (int i = 2; i <= 3; i++) {
            TestNode n = cluster.node(i);
            n.ok("swarm", "join", "--token", cluster.token("manager"), "--advertise-addr", n.address(),
                    cluster.node(1).address() + ":2377");
        }
        cluster.node(1).until(CONVERGE, "three managers", c -> c.ok() && c.table().stream()
                .filter(r -> !r.get("MANAGER STATUS").isEmpty()).count() == 3, "node", "ls");
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Runs {@code a} on node-1 and {@code b} on node-2, released together. */
    private List<Cli> atOnce(String[] a, String[] b) {
        CountDownLatch go = new CountDownLatch(1);
        CompletableFuture<Cli> first = CompletableFuture.supplyAsync(() -> {
            await(go);
            return cluster.node(1).cli(a);
        });
        CompletableFuture<Cli> second = CompletableFuture.supplyAsync(() -> {
            await(go);
            return cluster.node(2).cli(b);
        });
        go.countDown();
        return List.of(first.join(), second.join());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Cli loser(List<Cli> both) {
        List<Cli> failed = both.stream().filter(c -> !c.ok()).toList();
        assertThat(failed).as("exactly one of the two fails:\n" + both).hasSize(1);
        return failed.get(0);
    }

    @Test
    void twoManagersCreatingTheSameNetworkNameGiveOneNetwork() {
        for (int round = 1; round <= ROUNDS; round++) {
            String name = "race-" + round;
            String[] create = {"network", "create", "-d", "overlay", name};
            Cli lost = loser(atOnce(create, create));
            assertThat(lost.stderr().strip()).as(lost.toString())
                    .isEqualTo("Error response from daemon: network with name " + name + " already exists");
        }
        // Seen alike from every manager: each name once.
        for (TestNode n : cluster.nodes()) {
            Cli ls = n.until(CONVERGE, ROUNDS + " race networks", c -> c.ok()
                    && c.table().stream().filter(r -> r.get("NAME").startsWith("race-")).count() >= ROUNDS, "network", "ls");
            Map<String, Long> names = ls.table().stream().map(r -> r.get("NAME")).filter(x -> x.startsWith("race-"))
                    .collect(Collectors.groupingBy(x -> x, Collectors.counting()));
            assertThat(names).as(n.hostname() + "\n" + ls).hasSize(ROUNDS).allSatisfy((x, count) -> assertThat(count).isEqualTo(1));
        }
    }

    @Test
    void twoManagersPublishingTheSamePortGiveOneService() {
        Map<Integer, String> winners = new java.util.HashMap<>();
        for (int round = 1; round <= ROUNDS; round++) {
            int port = 30000 + round;
            String[] a = {"service", "create", "-d", "--replicas", "0", "--name", "a" + round, "-p", port + ":80", "web"};
            String[] b = {"service", "create", "-d", "--replicas", "0", "--name", "b" + round, "-p", port + ":80", "web"};
            Cli lost = loser(atOnce(a, b));
            String winnerName = lost.command().contains("a" + round) ? "b" + round : "a" + round;
            winners.put(port, winnerName);
            assertThat(lost.stderr().strip()).as(lost.toString())
                    .startsWith("Error response from daemon: port '" + port + "' is already in use by service '" + winnerName + "' (")
                    .endsWith(") as an ingress port");
        }
        // Seen alike from every manager: each port held by its winner, nothing of the losers.
        for (TestNode n : cluster.nodes()) {
            Cli ls = n.until(CONVERGE, ROUNDS + " services", c -> c.ok() && c.table().size() >= ROUNDS, "service", "ls");
            assertThat(ls.table()).as(n.hostname() + "\n" + ls).hasSize(ROUNDS);
            for (Map.Entry<Integer, String> w : winners.entrySet()) {
                List<String> onPort = ls.table().stream().filter(r -> r.get("PORTS").contains(":" + w.getKey() + "->"))
                        .map(r -> r.get("NAME")).toList();
                assertThat(onPort).as(n.hostname() + ", port " + w.getKey() + "\n" + ls).containsExactly(w.getValue());
            }
        }
    }

    @Test
    void networksThatOnlyChoseTheSameSubnetBothGetOneOfTheirOwn() {
        for (int round = 1; round <= 5; round++) {
            List<Cli> both = atOnce(new String[] {"network", "create", "-d", "overlay", "left-" + round},
                    new String[] {"network", "create", "-d", "overlay", "right-" + round});
            assertThat(both).as(both.toString()).allMatch(Cli::ok);
        }
        Cli ls = cluster.node(3).until(CONVERGE, "ten networks", c -> c.ok() && c.table().stream()
                .filter(r -> r.get("NAME").startsWith("left-") || r.get("NAME").startsWith("right-")).count() == 10,
                "network", "ls");
        List<String> names = ls.table().stream().map(r -> r.get("NAME"))
                .filter(n -> n.startsWith("left-") || n.startsWith("right-")).toList();
        String[] inspect = new String[names.size() + 2];
        inspect[0] = "network";
        inspect[1] = "inspect";
        for (int i = 0; i < names.size(); i++) {
            inspect[i + 2] = names.get(i);
        }
        String json = cluster.node(3).ok(inspect).stdout();
        Map<String, Long> subnets = java.util.regex.Pattern.compile("\"Subnet\" : \"([0-9./]+)\"").matcher(json).results()
                .map(m -> m.group(1)).collect(Collectors.groupingBy(s -> s, Collectors.counting()));
        assertThat(subnets).as(json).hasSize(10).allSatisfy((s, count) -> assertThat(count).isEqualTo(1));
    }
}
