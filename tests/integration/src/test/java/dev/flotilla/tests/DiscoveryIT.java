package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.flotilla.testkit.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * Service discovery on three nodes (issue 4's seed): a client task finds the {@code server}
 * service by name through the embedded DNS server (127.0.0.11 in its sandbox), its requests to
 * the name are balanced over every server task by the VIP proxies, also to tasks on other nodes;
 * {@code tasks.server} answers the running tasks, unknown names and names of other networks fail,
 * and a killed task leaves DNS within seconds. {@code dig} in the client's sandbox checks every
 * record kind, network aliases, the TTL set with {@code --dns-ttl}, forwarding to an upstream
 * given with {@code --dns} (dnsmasq on the underlay), TCP after truncation and SERVFAIL once the
 * upstream is gone; UDP is balanced through a VIP too; {@code --lb-idle-timeout} cuts quiet
 * connections through a VIP and the routing mesh; and a node that goes Down leaves DNS and the VIP
 * pools.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DiscoveryIT {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    /** The issue's bound: a task that stops or runs leaves or joins every node's DNS within this. */
    private static final Duration CONVERGENCE = Duration.ofSeconds(1);
    private static final Pattern ETH0 = Pattern.compile("inet (\\d+\\.\\d+\\.\\d+\\.\\d+)/");
    private static final Pattern IPV4 = Pattern.compile("\\b(\\d+\\.\\d+\\.\\d+\\.\\d+)\\b");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DNS_TTL = 3;
    /** Far below busybox httpd's own 60 s wait for a request, so a cut before that is the proxy's. */
    private static final Duration LB_IDLE = Duration.ofSeconds(3);
    /** Three TXT strings of 200 characters: larger than a 512-byte answer, so UDP without EDNS truncates. */
    private static final String BIG_TXT = "x".repeat(200);

    private TestCluster cluster;
    private TestNode manager;
    /** Server container short id (its hostname, what it answers) -> its address on discovery. */
    private final Map<String, String> servers = new HashMap<>();
    /** Server container id -> the node running it. */
    private final Map<String, TestNode> serverNodes = new HashMap<>();
    private TestNode clientNode;
    private String client;
    private String clientName;
    private UdpFixture udp;
    private Process upstream;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s",
                c -> List.of("--dns", c.gateway(), "--dns-ttl", Integer.toString(DNS_TTL),
                        "--lb-idle-timeout", LB_IDLE.toSeconds() + "s"));
        manager = cluster.node(1);
        udp = UdpFixture.build(manager.dir());
        cluster.nodes().forEach(n -> udp.importImage(n, "udp", 9999));
        upstream = startUpstream();
    }

    @AfterAll
    void closeCluster() throws InterruptedException {
        if (upstream != null) {
            upstream.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** dnsmasq on the underlay's own address: the nodes' upstream resolver (their daemons' --dns). */
    private Process startUpstream() {
        List<String> argv = List.of("nsenter", "--net=/run/netns/" + cluster.underlay(), "/usr/sbin/dnsmasq",
                "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces",
                "--listen-address=" + cluster.gateway(), "--pid-file", "--user=root", "--log-facility=-",
                "--address=/upstream.test/192.0.2.7",
                "--txt-record=big.upstream.test," + BIG_TXT + "," + BIG_TXT + "," + BIG_TXT);
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Poll.until(Duration.ofSeconds(10), TestNode.POLL_INTERVAL, () -> {
                if (!p.isAlive()) {
                    throw new AssertionError("dnsmasq exited with " + p.exitValue());
                }
                return Processes.run(Duration.ofSeconds(5), "nsenter", "--net=/run/netns/" + cluster.underlay(),
                        "dig", "@" + cluster.gateway(), "+short", "+tries=1", "+time=1", "upstream.test")
                        .stdout().strip().equals("192.0.2.7");
            }, () -> "dnsmasq to answer on " + cluster.gateway());
            return p;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @Order(1)
    void serversSpreadOverTheNodesAndAClientRunsOnOne() {
        manager.ok("network", "create", "-d", "overlay", "discovery");
        manager.ok("network", "create", "-d", "overlay", "elsewhere");
        manager.ok("service", "create", "--name", "server", "--replicas", "3", "--network", "discovery", "web");
        manager.ok("service", "create", "--name", "client", "--network", "discovery", "web");
        manager.ok("service", "create", "--name", "other", "--network", "elsewhere", "web");
        manager.ok("service", "create", "-d", "--name", "api", "--network", "name=discovery,alias=backend",
                "-p", "8089:80", "web");
        manager.ok("service", "create", "-d", "--name", "echo", "--replicas", "3", "--network", "discovery", "udp");
        for (String service : List.of("server", "client", "other", "api", "echo")) {
            int replicas = service.equals("server") || service.equals("echo") ? 3 : 1;
            manager.until(CONVERGE, replicas + " running " + service + " tasks", c -> c.ok() && c.table().stream()
                    .filter(r -> r.get("CURRENT STATE").startsWith("Running")).count() == replicas,
                    "service", "ps", service);
        }
        for (TestNode n : cluster.nodes()) {
            for (Table.Row r : n.ok("ps").table()) {
                String id = r.get("CONTAINER ID");
                if (r.get("NAMES").startsWith("server.")) {
                    Cli addr = n.ok("exec", id, "ip", "-4", "-o", "addr", "show", "eth0");
                    Matcher m = ETH0.matcher(addr.stdout());
                    assertThat(m.find()).as("server's address on discovery in\n%s", addr).isTrue();
                    servers.put(id.substring(0, 12), m.group(1));
                    serverNodes.put(id, n);
                } else if (r.get("NAMES").startsWith("client.")) {
                    clientNode = n;
                    client = id;
                    clientName = r.get("NAMES");
                }
            }
        }
        assertThat(servers).hasSize(3);
        assertThat(serverNodes.values()).as("one server per node").containsExactlyInAnyOrderElementsOf(cluster.nodes());
        assertThat(client).isNotNull();
        Cli resolvConf = clientNode.ok("exec", client, "cat", "/etc/resolv.conf");
        assertThat(resolvConf.stdout()).isEqualTo("nameserver 127.0.0.11\noptions ndots:0\n");
    }

    @Test
    @Order(2)
    void theServiceNameIsBalancedOverEveryServerAlsoOnOtherNodes() {
        Set<String> seen = new TreeSet<>();
        List<String> order = new ArrayList<>();
        Cli[] last = new Cli[1];
        clientNode.await(CONVERGE, () -> {
            Cli c = last[0] = clientNode.cli("exec", client, "wget", "-qO-", "server");
            Matcher m = Pattern.compile("Hello, ([0-9a-f]{12})").matcher(c.stdout());
            if (c.ok() && m.find()) {
                seen.add(m.group(1));
                order.add(m.group(1));
            }
            return seen.equals(servers.keySet());
        }, () -> "wget server from the client answered by " + seen + ", expected " + servers.keySet() + "; last " + last[0]);
        // Round robin: once everything is up, three requests in a row reach the three servers.
        List<String> tail = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Cli c = clientNode.ok("exec", client, "wget", "-qO-", "server");
            Matcher m = Pattern.compile("Hello, ([0-9a-f]{12})").matcher(c.stdout());
            assertThat(m.find()).as(clientNode.context(c)).isTrue();
            tail.add(m.group(1));
        }
        assertThat(new TreeSet<>(tail)).as("three requests in a row, after %s", order).isEqualTo(servers.keySet());
    }

    @Test
    @Order(3)
    void theServiceNameResolvesToItsVipAndTasksToEveryTask() throws Exception {
        String networkId = JSON.readTree(manager.ok("network", "inspect", "discovery").stdout()).path(0).path("Id").asText();
        JsonNode service = JSON.readTree(manager.ok("service", "inspect", "server").stdout()).path(0);
        String vip = null;
        for (JsonNode v : service.at("/Endpoint/VirtualIPs")) {
            if (v.path("NetworkID").asText().equals(networkId)) {
                vip = v.path("Addr").asText().replaceAll("/.*", "");
            }
        }
        assertThat(vip).as("server's VIP on discovery in %s", service).isNotNull();

        assertThat(lookup("server")).containsExactly(vip);
        assertThat(lookup("tasks.server")).containsExactlyInAnyOrderElementsOf(servers.values());
        // A container name answers its task's address.
        String someServer = serverNodes.keySet().iterator().next();
        String name = serverNodes.get(someServer).ok("ps").table().stream()
                .filter(r -> r.get("CONTAINER ID").equals(someServer)).findFirst().orElseThrow().get("NAMES");
        assertThat(lookup(name)).containsExactly(servers.get(someServer.substring(0, 12)));
    }

    @Test
    @Order(4)
    void unknownNamesAndNamesOfOtherNetworksFail() {
        Cli unknown = clientNode.cli("exec", client, "nslookup", "nosuchservice");
        assertThat(unknown.stdout() + unknown.stderr()).as(clientNode.context(unknown)).contains("NXDOMAIN");
        Cli other = clientNode.cli("exec", client, "nslookup", "other");
        assertThat(other.stdout() + other.stderr()).as(clientNode.context(other)).contains("NXDOMAIN");
        Cli wget = clientNode.cli("exec", client, "wget", "-qO-", "other");
        assertThat(wget.exitCode()).as(clientNode.context(wget)).isNotZero();
    }

    @Test
    @Order(5)
    void aKilledServerLeavesTasksServerWithinSeconds() {
        // A server on another node than the client's: its end travels through the store.
        String victim = serverNodes.entrySet().stream().filter(e -> e.getValue() != clientNode).findFirst()
                .orElseThrow().getKey();
        String victimIp = servers.get(victim.substring(0, 12));
        TestNode host = serverNodes.get(victim);
        assertThat(sandboxLookup("tasks.server")).contains(victimIp);
        long killed = System.nanoTime();
        host.ok("rm", "-f", victim);
        long removed = System.nanoTime();
        // Asked straight from the client's sandbox (no CLI round trip per poll): rm -f returns once
        // the task is reported, so DNS should follow within the bound.
        List<String>[] answer = new List[1];
        Poll.until(CONVERGENCE, Duration.ofMillis(20), () -> !(answer[0] = sandboxLookup("tasks.server")).contains(victimIp),
                () -> "tasks.server still answers the killed task " + victimIp + ": " + answer[0]);
        long gone = System.nanoTime();
        assertThat(answer[0]).hasSize(2);
        System.out.printf("DiscoveryIT: rm -f took %d ms, tasks.server dropped the task %d ms after rm returned%n",
                TimeUnit.NANOSECONDS.toMillis(removed - killed), TimeUnit.NANOSECONDS.toMillis(gone - removed));
        List<String>[] viaCli = new List[1];
        clientNode.await(Duration.ofSeconds(5), () -> !(viaCli[0] = lookup("tasks.server")).contains(victimIp),
                () -> "nslookup in the client task still answers " + victimIp + ": " + viaCli[0]);
    }

    @Test
    @Order(6)
    void dnsrrServicesAnswerTheirTasksAndTheOtherNetworkSeesOnlyItsOwnNames() {
        manager.ok("service", "create", "--name", "rr", "--replicas", "2", "--endpoint-mode", "dnsrr",
                "--network", "discovery", "web");
        manager.until(CONVERGE, "2 running rr tasks", c -> c.ok() && c.table().stream()
                .filter(r -> r.get("CURRENT STATE").startsWith("Running")).count() == 2, "service", "ps", "rr");
        Set<String> rrAddresses = new TreeSet<>();
        for (TestNode n : cluster.nodes()) {
            for (Table.Row r : n.ok("ps").table()) {
                if (r.get("NAMES").startsWith("rr.")) {
                    Matcher m = ETH0.matcher(n.ok("exec", r.get("CONTAINER ID"), "ip", "-4", "-o", "addr", "show", "eth0")
                            .stdout());
                    assertThat(m.find()).isTrue();
                    rrAddresses.add(m.group(1));
                }
            }
        }
        assertThat(rrAddresses).hasSize(2);
        List<String>[] answer = new List[1];
        clientNode.await(CONVERGE, () -> new TreeSet<>(answer[0] = lookup("rr")).equals(rrAddresses),
                () -> "rr (dnsrr) answers " + answer[0] + ", expected " + rrAddresses);

        TestNode otherNode = null;
        String other = null;
        for (TestNode n : cluster.nodes()) {
            for (Table.Row r : n.ok("ps").table()) {
                if (r.get("NAMES").startsWith("other.")) {
                    otherNode = n;
                    other = r.get("CONTAINER ID");
                }
            }
        }
        assertThat(other).isNotNull();
        Cli server = otherNode.cli("exec", other, "nslookup", "server");
        assertThat(server.stdout() + server.stderr()).as(otherNode.context(server)).contains("NXDOMAIN");
        Cli own = otherNode.cli("exec", other, "wget", "-qO-", "other");
        assertThat(own.stdout()).as(otherNode.context(own)).contains("Hello, " + other.substring(0, 12));
    }

    @Test
    @Order(7)
    void digSeesEveryRecordKindAliasesAndTheConfiguredTtl() throws Exception {
        String serverVip = vip("server");
        String apiVip = vip("api");
        // A: the VIP, any case; the alias like the service; the TTL given with --dns-ttl.
        assertThat(digShort("A", "server")).containsExactly(serverVip);
        assertThat(digShort("A", "SeRvEr")).containsExactly(serverVip);
        assertThat(digShort("A", "backend")).containsExactly(apiVip);
        assertThat(digShort("A", "tasks.backend")).isEqualTo(digShort("A", "tasks.api")).hasSize(1);
        Cli answer = dig("+noall", "+answer", "A", "server");
        assertThat(answer.stdout()).as("dig's answer section\n%s", answer).matches(
                "(?s)server\\.\\s+" + DNS_TTL + "\\s+IN\\s+A\\s+" + Pattern.quote(serverVip) + "\\s*");
        Cli edns = dig("A", "server");
        assertThat(edns.stdout()).as("EDNS0 echoed in\n%s", edns).contains("; EDNS: version: 0");

        // AAAA: NODATA for a name we own, NXDOMAIN for one nobody owns.
        Cli nodata = dig("AAAA", "server");
        assertThat(nodata.stdout()).as(nodata.toString()).contains("status: NOERROR").contains("ANSWER: 0,");
        Cli nx = dig("AAAA", "nosuchservice");
        assertThat(nx.stdout()).as(nx.toString()).contains("status: NXDOMAIN");

        // PTR for a task address (its container name) and for the VIP (the service name).
        String taskIp = sandboxLookup("tasks.server").get(0);
        assertThat(digShort("PTR", "-x", taskIp)).singleElement().asString().startsWith("server.").endsWith(".");
        assertThat(digShort("PTR", "-x", serverVip)).containsExactly("server.");

        // SRV for the published port.
        assertThat(digShort("SRV", "_8089._tcp.api")).singleElement().asString().endsWith(" 8089 api.");
    }

    @Test
    @Order(9)
    void udpThroughTheVipReachesEveryTaskRoundRobin() throws Exception {
        String echoVip = vip("echo");
        Set<String> echoTasks = new TreeSet<>();
        for (TestNode n : cluster.nodes()) {
            n.ok("ps").table().stream().filter(r -> r.get("NAMES").startsWith("echo."))
                    .forEach(r -> echoTasks.add(r.get("CONTAINER ID")));
        }
        assertThat(echoTasks).hasSize(3);
        List<String> answers = new ArrayList<>();
        clientNode.await(CONVERGE, () -> {
            Cli c = Processes.run(Duration.ofSeconds(10), "nsenter", "--net=" + clientNetns(), udp.binary.toString(),
                    "ask", echoVip, "9999");
            if (c.ok()) {
                answers.add(c.stdout().strip());
            }
            return answers.size() >= 6 && new TreeSet<>(answers.subList(answers.size() - 6, answers.size())).equals(echoTasks);
        }, () -> "datagrams to the echo VIP " + echoVip + " answered by " + answers + ", expected each of " + echoTasks);
        List<String> last = answers.subList(answers.size() - 6, answers.size());
        for (int i = 0; i < 3; i++) {
            assertThat(last.get(i + 3)).as("round robin over flows, in %s", last).isEqualTo(last.get(i));
        }
    }

    @Test
    @Order(8)
    void quietConnectionsAreCutAfterTheConfiguredIdleTimeout() throws Exception {
        String vip = vip("server");
        long viaVip = quietConnectionLifetimeMs(clientNetns(), vip, 80);
        long viaMesh = quietConnectionLifetimeMs("/run/netns/" + clientNode.name(), "127.0.0.1", 8089);
        for (long ms : List.of(viaVip, viaMesh)) {
            assertThat(ms).as("a quiet connection lived %d ms, with --lb-idle-timeout %s (via VIP %d ms, mesh %d ms)",
                    ms, LB_IDLE, viaVip, viaMesh).isBetween(LB_IDLE.toMillis() - 500, LB_IDLE.toMillis() + 7_000);
        }
    }

    /** How long {@code busybox nc host port}, connected and sending nothing, stays connected. */
    private static long quietConnectionLifetimeMs(String netns, String host, int port) throws Exception {
        Process nc = new ProcessBuilder("nsenter", "--net=" + netns, "busybox", "nc", host, Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long start = System.nanoTime();
        try {
            // stdin stays open and silent: only the far end (the proxy's idle cut) ends nc.
            assertThat(nc.waitFor(30, TimeUnit.SECONDS)).as("nc %s %d still connected after 30 s", host, port).isTrue();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        } finally {
            nc.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(10)
    void otherNamesGoUpstreamWithTcpAfterTruncationAndServfailOnceItIsGone() throws Exception {
        assertThat(digShort("A", "upstream.test")).containsExactly("192.0.2.7");
        Cli truncated = dig("+noedns", "+ignore", "TXT", "big.upstream.test");
        assertThat(truncated.stdout()).as(truncated.toString()).containsPattern("flags: qr[a-z ]* tc");
        Cli retried = dig("+noedns", "TXT", "big.upstream.test");
        assertThat(retried.stdout()).as(retried.toString()).contains("Truncated, retrying in TCP mode")
                .contains("\"" + BIG_TXT + "\" \"" + BIG_TXT + "\" \"" + BIG_TXT + "\"");

        upstream.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        Cli failed = dig("A", "again.upstream.test");
        assertThat(failed.stdout()).as(failed.toString()).contains("status: SERVFAIL");
        // Names the swarm owns still answer.
        assertThat(digShort("A", "server")).containsExactly(vip("server"));
    }

    @Test
    @Order(11)
    void aNodeThatGoesDownLeavesDnsAndTheVipPool() throws Exception {
        TestNode victim = cluster.nodes().stream().filter(n -> n != manager && n != clientNode).findFirst().orElseThrow();
        Set<String> victimIps = new TreeSet<>();
        for (Table.Row r : victim.ok("ps").table()) {
            if (r.get("NAMES").startsWith("server.")) {
                Matcher m = ETH0.matcher(victim.ok("exec", r.get("CONTAINER ID"), "ip", "-4", "-o", "addr", "show", "eth0")
                        .stdout());
                assertThat(m.find()).isTrue();
                victimIps.add(m.group(1));
            }
        }
        assertThat(victimIps).as("a server task on %s", victim.hostname()).hasSize(1);
        Set<String> original = new TreeSet<>(sandboxLookup("tasks.server"));
        assertThat(original).containsAll(victimIps);

        // From the kill on, the client's view of tasks.server every 20 ms: when each address first showed.
        Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
        watcher.scheduleWithFixedDelay(() -> {
            long now = System.currentTimeMillis();
            sandboxLookup("tasks.server").forEach(ip -> firstSeen.putIfAbsent(ip, now));
        }, 0, 20, TimeUnit.MILLISECONDS);
        try {
            victimGoesDown(victim, victimIps, original, firstSeen);
        } finally {
            watcher.shutdownNow();
            watcher.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private void victimGoesDown(TestNode victim, Set<String> victimIps, Set<String> original, Map<String, Long> firstSeen)
            throws Exception {
        victim.killDaemon();
        manager.until(CONVERGE, victim.hostname() + " Down", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("HOSTNAME").equals(victim.hostname()) && r.get("STATUS").equals("Down")),
                "node", "ls");
        long down = System.nanoTime();
        List<String>[] answer = new List[1];
        Poll.until(CONVERGENCE, Duration.ofMillis(20), () -> (answer[0] = sandboxLookup("tasks.server")).stream()
                .noneMatch(victimIps::contains), () -> "tasks.server still answers " + victimIps + " of the Down node: "
                + answer[0]);
        System.out.printf("DiscoveryIT: tasks.server dropped the Down node's task %d ms after node ls showed Down%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down));
        // Its replacement comes up on a live node and joins DNS within a second of running.
        // The watcher's record decides: a lookup of this thread's own could see the replacement before the watcher.
        Poll.until(CONVERGE, TestNode.POLL_INTERVAL, () -> firstSeen.keySet().stream().anyMatch(ip -> !original.contains(ip)),
                () -> "a replacement task in tasks.server; answered so far: " + firstSeen.keySet());
        String replacement = firstSeen.keySet().stream().filter(ip -> !original.contains(ip)).findFirst().orElseThrow();
        long seenAt = firstSeen.get(replacement);
        assertThat(sandboxLookup("tasks.server")).as("tasks.server after the replacement").hasSize(3).contains(replacement);
        Instant running = null;
        for (TestNode n : cluster.nodes()) {
            if (n == victim) {
                continue;
            }
            for (Table.Row r : n.ok("ps").table()) {
                if (r.get("NAMES").startsWith("server.") && n.ok("exec", r.get("CONTAINER ID"), "ip", "-4", "-o", "addr",
                        "show", "eth0").stdout().contains("inet " + replacement + "/")) {
                    running = n.runningSince(r.get("CONTAINER ID"));
                }
            }
        }
        assertThat(running).as("the node running the replacement task %s", replacement).isNotNull();
        long lagMs = seenAt - running.toEpochMilli();
        System.out.printf("DiscoveryIT: the replacement task answered in tasks.server %d ms after its node logged it running%n",
                lagMs);
        assertThat(lagMs).as("ms from the replacement running to its address in DNS").isLessThan(CONVERGENCE.toMillis());
        // The VIP pool lost the Down node's task: were it still there, every third connection would first wait for a
        // connect to the dead node (5 s) before the proxy tried the next task.
        String vip = vip("server");
        for (int i = 0; i < 6; i++) {
            long start = System.nanoTime();
            Cli c = Processes.run(Duration.ofSeconds(30), "nsenter", "--net=" + clientNetns(), "busybox", "wget", "-qO-",
                    "http://" + vip + "/");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(c.stdout()).as("request %d through the VIP %s: %s", i, vip, c).contains("Hello, ");
            assertThat(ms).as("request %d through the VIP took %d ms", i, ms).isLessThan(2_000);
        }
    }

    private String vip(String service) throws Exception {
        String networkId = JSON.readTree(manager.ok("network", "inspect", "discovery").stdout()).path(0).path("Id").asText();
        for (JsonNode v : JSON.readTree(manager.ok("service", "inspect", service).stdout()).path(0).at("/Endpoint/VirtualIPs")) {
            if (v.path("NetworkID").asText().equals(networkId)) {
                return v.path("Addr").asText().replaceAll("/.*", "");
            }
        }
        throw new AssertionError(service + " has no VIP on discovery");
    }

    /** {@code dig @127.0.0.11 args} (bind9-dnsutils, from the host) in the client task's network namespace. */
    private Cli dig(String... args) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--net=" + clientNetns(), "dig", "@127.0.0.11",
                "+tries=1", "+time=12"));
        argv.addAll(List.of(args));
        return Processes.run(Duration.ofSeconds(40), argv.toArray(String[]::new));
    }

    /** The lines of {@code dig +short type args}; -x takes its address after it. */
    private List<String> digShort(String type, String... nameArgs) {
        List<String> argv = new ArrayList<>(List.of("+short"));
        if (!nameArgs[0].equals("-x")) {
            argv.add(type);
        }
        argv.addAll(List.of(nameArgs));
        Cli c = dig(argv.toArray(String[]::new));
        assertThat(c.exitCode()).as("dig %s\n%s", argv, c).isZero();
        return c.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private String clientNetns() {
        String taskId = clientName.substring(clientName.lastIndexOf('.') + 1);
        return "/run/netns/fl-" + clientNode.tag() + "-task-" + taskId.substring(0, 12);
    }

    /**
     * {@code nslookup name 127.0.0.11} run by the host's busybox inside the client task's network
     * namespace ({@code fl-<tag>-task-<task id 12>}): the embedded server as the task sees it.
     */
    private List<String> sandboxLookup(String name) {
        Cli c = Processes.run(Duration.ofSeconds(10), "nsenter", "--net=" + clientNetns(), "busybox", "nslookup", name,
                "127.0.0.11");
        return addresses(c.stdout());
    }

    /** The IPv4 addresses {@code nslookup name} answers in the client task (its server's own address left out). */
    private List<String> lookup(String name) {
        Cli c = clientNode.cli("exec", client, "nslookup", name);
        assertThat(c.exitCode()).as(clientNode.context(c)).isZero();
        return addresses(c.stdout());
    }

    private static List<String> addresses(String text) {
        Set<String> out = new LinkedHashSet<>();
        int answers = text.indexOf("Name:");
        Matcher m = IPV4.matcher(answers < 0 ? "" : text.substring(answers));
        while (m.find()) {
            if (!m.group(1).equals("127.0.0.11")) {
                out.add(m.group(1));
            }
        }
        return List.copyOf(out);
    }
}
