package dev.flotilla.tests;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Nodes on one test underlay: a namespace {@code ftu-<random>} holding a bridge, each node's eth0
 * plugged into it with an address of one 198.19.x.0/24 (198.18.0.0/15: never routed anywhere
 * real). Node {@code i} is named {@code node-i}; the underlay's bridge itself has {@code .1}
 * ({@link #gateway()}), where a test may run what the nodes reach on their network (an upstream DNS
 * server). {@link #close()} closes every node, then the underlay, also when a test failed.
 */
public final class TestCluster implements AutoCloseable {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern NODE_ID = Pattern.compile("current node \\((\\w+)\\)");

    private final String underlay;
    private final int subnet;
    private final List<TestNode> nodes = new ArrayList<>();

    private TestCluster(String underlay, int subnet) {
        this.underlay = underlay;
        this.subnet = subnet;
    }

    /** {@code count} nodes with running daemons, none in a swarm yet. */
    public static TestCluster start(String label, int count) {
        return start(label, count, c -> List.of());
    }

    /** {@code count} nodes, each daemon started with the flags {@code daemonArgs} gives for this cluster. */
    public static TestCluster start(String label, int count, Function<TestCluster, List<String>> daemonArgs) {
        byte[] suffix = new byte[3];
        RANDOM.nextBytes(suffix);
        TestCluster cluster = new TestCluster("ftu-" + HexFormat.of().formatHex(suffix), RANDOM.nextInt(256));
        try {
            Processes.ok(Duration.ofSeconds(30), "ip", "netns", "add", cluster.underlay);
            Processes.ok(Duration.ofSeconds(30), "ip", "-n", cluster.underlay, "link", "add", "br0", "type", "bridge");
            Processes.ok(Duration.ofSeconds(30), "ip", "-n", cluster.underlay, "addr", "add",
                    cluster.gateway() + "/24", "dev", "br0");
            Processes.ok(Duration.ofSeconds(30), "ip", "-n", cluster.underlay, "link", "set", "br0", "up");
            // A process here talking to the gateway address (a probe) goes over lo.
            Processes.ok(Duration.ofSeconds(30), "ip", "-n", cluster.underlay, "link", "set", "lo", "up");
            List<String> args = daemonArgs.apply(cluster);
            for (int i = 1; i <= count; i++) {
                cluster.nodes.add(TestNode.startOn(label + "-node-" + i, cluster.underlay,
                        "198.19." + cluster.subnet + "." + (10 + i), "node-" + i, args));
            }
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /**
     * {@code count} nodes in one swarm: node 1 the manager (`swarm init` with {@code heartbeat}),
     * the others workers, the web image on every node.
     */
    public static TestCluster startSwarm(String label, int count, String heartbeat) {
        return startSwarm(label, count, heartbeat, c -> List.of());
    }

    /** {@link #startSwarm(String, int, String)} with extra daemon flags, as {@link #start(String, int, Function)}. */
    public static TestCluster startSwarm(String label, int count, String heartbeat,
                                         Function<TestCluster, List<String>> daemonArgs) {
        TestCluster cluster = start(label, count, daemonArgs);
        try {
            cluster.init(heartbeat);
            cluster.nodes().forEach(n -> n.importWebImage("web"));
            for (int i = 2; i <= count; i++) {
                cluster.joinWorker(i);
            }
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The underlay namespace's own address on the nodes' subnet. */
    public String gateway() {
        return "198.19." + subnet + ".1";
    }

    /** The underlay namespace's name ({@code /run/netns/<name>}). */
    public String underlay() {
        return underlay;
    }

    public TestNode node(int i) {
        return nodes.get(i - 1);
    }

    public List<TestNode> nodes() {
        return List.copyOf(nodes);
    }

    /** `swarm init` on node 1 with a short heartbeat (so a dead node is noticed in seconds); its node id. */
    public String init(String heartbeat) {
        String out = node(1).ok("swarm", "init", "--advertise-addr", node(1).address(),
                "--dispatcher-heartbeat", heartbeat).stdout();
        Matcher m = NODE_ID.matcher(out);
        if (!m.find()) {
            throw new AssertionError("`swarm init` printed no node id:\n" + out);
        }
        return m.group(1);
    }

    /** `swarm join-token -q role` on node 1. */
    public String token(String role) {
        return node(1).ok("swarm", "join-token", "-q", role).stdout().strip();
    }

    /** Node {@code i} joins as a worker through node 1. */
    public void joinWorker(int i) {
        TestNode n = node(i);
        n.ok("swarm", "join", "--token", token("worker"), "--advertise-addr", n.address(), node(1).address() + ":2377");
    }

    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (TestNode n : nodes) {
            try {
                n.close();
            } catch (RuntimeException | Error e) {
                failures.add(e);
            }
        }
        Processes.run(Duration.ofSeconds(30), "ip", "netns", "delete", underlay);
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("Cluster clean-up failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }
}
