package dev.flotilla.tests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.testkit.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Seeds 3.3.3.4 and 3.3.3.2 on three nodes with real runc tasks: a rolling update from web:1.10
 * to web:1.11 one slot at a time with a delay, history rows in `service ps`, a manual rollback,
 * an update to a missing image that pauses and exits non-zero, a second update that resumes it,
 * an automatic rollback, start-first never running fewer tasks than replicas, the progress
 * deadline, the refusals of bad flags; then a global service following its nodes, and a global job
 * completing once on each. The tests share
 * one cluster and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LifecycleIT {
    private static final Duration CONVERGE = Duration.ofSeconds(90);

    private TestCluster cluster;
    private TestNode manager;
    private String serviceId;

    @BeforeAll
    void startCluster() {
        cluster = TestCluster.startSwarm(getClass().getSimpleName(), 3, "1s");
        manager = cluster.node(1);
        for (TestNode n : cluster.nodes()) {
            n.importWebImage("web:1.10");
            n.importWebImage("web:1.11");
        }
        Cli create = manager.ok("service", "create", "--name", "web", "--replicas", "3", "-p", "8090:80", "web:1.10");
        serviceId = create.lines().get(0).strip();
    }

    @AfterAll
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The current (not history) rows of `service ps web`. */
    private List<Table.Row> current(Cli ps) {
        return ps.table().stream().filter(r -> !r.get("NAME").startsWith("\\_")).toList();
    }

    private List<String> currentImages() {
        return current(manager.ok("service", "ps", "web")).stream().map(r -> r.get("IMAGE")).toList();
    }

    @Test
    @Order(1)
    void aRollingUpdateReplacesOneSlotAtATimeAndKeepsHistoryRows() {
        Cli update = manager.ok("service", "update", "--image", "web:1.11", "--update-delay", "3s", "web");

        assertThat(update.lines()).as(manager.context(update))
                .startsWith("web")
                .contains("overall progress: 3 out of 3 tasks")
                .anyMatch(l -> l.matches("verify: Waiting [1-5] seconds to verify that tasks are stable\\.\\.\\."))
                .endsWith("verify: Service " + serviceId + " converged");
        Cli ps = manager.ok("service", "ps", "--no-trunc", "web");
        List<Table.Row> now = current(ps);
        assertThat(now).as(manager.context(ps)).hasSize(3).allSatisfy(r -> {
            assertThat(r.get("IMAGE")).isEqualTo("web:1.11");
            assertThat(r.get("CURRENT STATE")).startsWith("Running");
        });
        assertThat(ps.table()).as(manager.context(ps)).filteredOn(r -> r.get("NAME").startsWith("\\_")).hasSize(3)
                .allSatisfy(r -> {
                    assertThat(r.get("NAME")).matches("\\\\_ web\\.[123]");
                    assertThat(r.get("IMAGE")).isEqualTo("web:1.10");
                    assertThat(r.get("DESIRED STATE")).isEqualTo("Shutdown");
                    assertThat(r.get("CURRENT STATE")).startsWith("Shutdown");
                });

        // Parallelism 1 and a 3 s delay: each new task ran at least 3 s after the one before.
        List<Instant> started = new ArrayList<>();
        for (Table.Row r : now) {
            TestNode node = cluster.nodes().stream().filter(n -> n.hostname().equals(r.get("NODE"))).findFirst().orElseThrow();
            started.add(node.taskRunningSince(r.get("ID")));
        }
        started.sort(Comparator.naturalOrder());
        for (int i = 1; i < started.size(); i++) {
            assertThat(Duration.between(started.get(i - 1), started.get(i))).as("slot %d after slot %d: %s", i + 1, i, started)
                    .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        }

        Cli pretty = manager.ok("service", "inspect", "--pretty", "web");
        assertThat(pretty.stdout()).as(manager.context(pretty))
                .contains("UpdateStatus:\n State:\t\tcompleted\n")
                .contains(" Message:\tupdate completed\n")
                .contains("UpdateConfig:\n Parallelism:\t1\n Delay:\t\t3s\n On failure:\tpause\n Monitoring Period: 5s\n")
                .contains(" Update order:      stop-first\n");
        assertThat(manager.hello(8090)).matches("[0-9a-f]{12}");
    }

    @Test
    @Order(2)
    void aManualRollbackGoesBackToThePreviousSpec() {
        Cli rollback = manager.ok("service", "rollback", "web");

        assertThat(rollback.lines()).as(manager.context(rollback))
                .startsWith("web", "rollback: manually requested rollback")
                .contains("overall progress: rolling back update: 3 out of 3 tasks")
                .endsWith("verify: Service " + serviceId + " converged");
        assertThat(currentImages()).containsOnly("web:1.10").hasSize(3);
        Cli pretty = manager.ok("service", "inspect", "--pretty", "web");
        assertThat(pretty.stdout()).as(manager.context(pretty)).contains(" State:\t\trollback_completed\n")
                .contains(" Message:\trollback completed\n");
    }

    @Test
    @Order(3)
    void anUpdateToAMissingImagePausesExitsNonZeroAndASecondUpdateResumesIt() {
        Cli broken = manager.cli("service", "update", "--image", "nope:1", "--update-monitor", "1s", "web");

        assertThat(broken.exitCode()).as(manager.context(broken)).isNotZero();
        assertThat(broken.stderr()).as(manager.context(broken))
                .containsPattern("service update paused: update paused due to failure or early termination of task [0-9a-z]{25}\n"
                        + "web\\.[123] on node-[123]: nope:1: ");
        List<String> images = currentImages();
        assertThat(images).as("the update stopped at the first slot").filteredOn("web:1.10"::equals).hasSize(2);
        Cli pretty = manager.ok("service", "inspect", "--pretty", "web");
        assertThat(pretty.stdout()).as(manager.context(pretty)).contains(" State:\t\tpaused\n");

        Cli resumed = manager.ok("service", "update", "--image", "web:1.11", "web");

        assertThat(resumed.lines()).as(manager.context(resumed)).endsWith("verify: Service " + serviceId + " converged");
        assertThat(currentImages()).containsOnly("web:1.11").hasSize(3);
    }

    @Test
    @Order(4)
    void failureActionRollbackRollsBackByItselfAndSaysSo() {
        Cli update = manager.cli("service", "update", "--image", "nope:2", "--update-failure-action", "rollback", "web");

        assertThat(update.exitCode()).as(manager.context(update)).isNotZero();
        assertThat(update.stdout()).as(manager.context(update))
                .containsPattern("rollback: update rolled back due to failure or early termination of task [0-9a-z]{25}");
        assertThat(update.stderr()).as(manager.context(update))
                .containsPattern("service rolled back: update rolled back due to failure or early termination of task "
                        + "[0-9a-z]{25}\nweb\\.[123] on node-[123]: nope:2: ");
        assertThat(currentImages()).containsOnly("web:1.11").hasSize(3);
        Cli again = manager.cli("service", "rollback", "web");
        assertThat(again.exitCode()).as(manager.context(again)).isNotZero();
        assertThat(again.stderr()).as("an automatic rollback leaves no previous spec")
                .contains("service " + serviceId + " does not have a previous spec");
    }

    @Test
    @Order(5)
    void anAutomaticRollbackToAPortTakenMeanwhilePausesSaysWhyAndKeepsThePreviousSpec() {
        // The update moves web from 8090 to 8092 with a check that fails once its 15 s start period
        // is over; meanwhile another service takes 8090, so the rollback cannot have it back.
        manager.ok("service", "update", "-d", "--publish-rm", "80", "--publish-add", "8092:80",
                "--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1",
                "--health-start-period", "15s", "--update-monitor", "60s", "--update-failure-action", "rollback", "web");
        Cli squatter = manager.ok("service", "create", "-d", "--name", "squatter", "-p", "8090:80", "web:1.10");
        String squatterId = squatter.lines().get(0).strip();

        Poll.until(CONVERGE, () -> manager.ok("service", "inspect", "--pretty", "web").stdout().contains(" State:\t\tpaused\n"),
                () -> "web's update pauses:\n" + manager.ok("service", "inspect", "--pretty", "web").stdout());
        Cli pretty = manager.ok("service", "inspect", "--pretty", "web");
        assertThat(pretty.stdout()).as(manager.context(pretty)).containsPattern(
                " Message:\tupdate paused due to failure or early termination of task [0-9a-z]{25}; it cannot roll back: "
                        + "port '8090' is already in use by service 'squatter' \\(" + squatterId + "\\) as an ingress port\n");
        // The managers go on reconciling other services, and the squatter keeps its port.
        assertThat(manager.ok("service", "scale", "squatter=2").stdout()).contains("squatter scaled to 2");
        assertThat(manager.hello(8090)).matches("[0-9a-f]{12}");
        Cli refused = manager.cli("service", "rollback", "web");
        assertThat(refused.exitCode()).as(manager.context(refused)).isNotZero();
        assertThat(refused.stderr()).as(manager.context(refused))
                .contains("port '8090' is already in use by service 'squatter'");

        manager.ok("service", "rm", "squatter");
        Cli rollback = manager.ok("service", "rollback", "web");
        assertThat(rollback.lines()).as(manager.context(rollback)).endsWith("verify: Service " + serviceId + " converged");
        assertThat(currentImages()).containsOnly("web:1.11").hasSize(3);
        assertThat(manager.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("web"))
                .singleElement().satisfies(r -> assertThat(r.get("PORTS")).isEqualTo("*:8090->80/tcp"));
        assertThat(manager.hello(8090)).matches("[0-9a-f]{12}");
    }

    @Test
    @Order(6)
    void startFirstNeverRunsFewerTasksThanReplicas() {
        List<String> before = current(manager.ok("service", "ps", "--no-trunc", "web")).stream().map(r -> r.get("ID")).toList();
        manager.ok("service", "update", "--update-order", "start-first", "--force", "-d", "web");

        long fewest = Long.MAX_VALUE;
        Instant deadline = Instant.now().plus(CONVERGE);
        while (true) {
            Cli ps = manager.ok("service", "ps", "web");
            long running = ps.table().stream().filter(r -> r.get("CURRENT STATE").startsWith("Running")
                    && r.get("DESIRED STATE").equals("Running")).count();
            fewest = Math.min(fewest, running);
            String pretty = manager.ok("service", "inspect", "--pretty", "web").stdout();
            if (pretty.contains(" State:\t\tcompleted\n")) {
                break;
            }
            assertThat(Instant.now()).as("the forced update completes; last ps:\n" + ps.stdout()).isBefore(deadline);
        }
        assertThat(fewest).isGreaterThanOrEqualTo(3);
        List<Table.Row> after = current(manager.ok("service", "ps", "--no-trunc", "web"));
        assertThat(after).as("--force replaced every task, with the same image").hasSize(3)
                .allSatisfy(r -> assertThat(r.get("IMAGE")).isEqualTo("web:1.11"))
                .extracting(r -> r.get("ID")).doesNotContainAnyElementsOf(before);
    }

    @Test
    @Order(7)
    void aTaskThatCannotRunFailsTheUpdateOnceTheProgressDeadlinePasses() {
        for (TestNode n : cluster.nodes()) {
            manager.ok("node", "update", "--availability", "drain", n.hostname());
        }
        try {
            Cli update = manager.cli("service", "update", "--image", "web:1.10", "--update-monitor", "1s",
                    "--update-progress-deadline", "2s", "web");

            assertThat(update.exitCode()).as(manager.context(update)).isNotZero();
            assertThat(update.stderr()).as(manager.context(update))
                    .containsPattern("service update paused: update paused due to failure or early termination of task "
                            + "[0-9a-z]{25}\nweb\\.[123] on no node: no suitable node \\(3 nodes not available for new tasks\\)");
        } finally {
            for (TestNode n : cluster.nodes()) {
                manager.ok("node", "update", "--availability", "active", n.hostname());
            }
        }
        Cli resumed = manager.ok("service", "update", "--update-progress-deadline", "10m", "web");
        assertThat(resumed.lines()).as(manager.context(resumed)).endsWith("verify: Service " + serviceId + " converged");
        assertThat(currentImages()).containsOnly("web:1.10").hasSize(3);
    }

    @Test
    @Order(8)
    void badFlagsAreRefusedAndChangeNothing() {
        String before = manager.ok("service", "inspect", "web").stdout();
        String[][] cases = {
                {"TaskSpec: update-delay cannot be negative", "--update-delay", "-1s"},
                {"TaskSpec: update-maxfailureratio cannot be less than 0 or bigger than 1", "--update-max-failure-ratio", "2"},
                {"unrecognized update failure action explode", "--update-failure-action", "explode"},
                {"unrecognized update order sideways", "--update-order", "sideways"},
                {"unrecognized rollback failure action rollback", "--rollback-failure-action", "rollback"},
                {"other flags may not be combined with --rollback", "--rollback", "--image", "web:1.10"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("service", "update"));
            args.addAll(List.of(c).subList(1, c.length));
            args.add("web");
            Cli cli = manager.cli(args.toArray(String[]::new));
            assertThat(cli.exitCode()).as(manager.context(cli)).isNotZero();
            assertThat(cli.stderr()).as(manager.context(cli)).contains(c[0]);
        }
        Cli unknown = manager.cli("service", "update", "--image", "web:1.10", "nosuch");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.stderr()).contains("service nosuch not found");
        assertThat(manager.ok("service", "inspect", "web").stdout()).as("nothing was written").isEqualTo(before);
    }

    @Test
    @Order(9)
    void noRequestFailsWhileTasksAreReplacedOrScaledAway() throws Exception {
        manager.ok("network", "create", "-d", "overlay", "front");
        manager.ok("service", "create", "--name", "api", "--replicas", "3", "--network", "front", "-p", "8091:80",
                "--update-monitor", "1s", "web:1.10");
        manager.ok("service", "create", "--name", "client", "--network", "front", "web:1.10", "sleep", "100000");
        Table.Row clientTask = manager.ok("service", "ps", "client").table().get(0);
        TestNode clientNode = cluster.nodes().stream().filter(n -> n.hostname().equals(clientTask.get("NODE")))
                .findFirst().orElseThrow();
        String container = clientNode.ok("ps").table().stream().map(r -> r.get("NAMES"))
                .filter(n -> n.startsWith("client.")).findFirst().orElseThrow();
        TestNode meshClient = cluster.node(2);

        // Through the VIP: a new connection per request from a task on the network, until /tmp/stop
        // appears in the client (made by a second exec once the changes are done).
        CompletableFuture<Cli> viaVip = CompletableFuture.supplyAsync(() -> clientNode.cli("exec", container, "sh", "-c",
                "ok=0; bad=0; while [ ! -f /tmp/stop ]; do "
                        + "if timeout 5 wget -q -O /dev/null http://api/; then ok=$((ok+1)); else bad=$((bad+1)); fi; done; "
                        + "echo \"$ok $bad\""));
        // Through the routing mesh of another node: curl, a new connection each, until the changes are done.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger meshOk = new AtomicInteger();
        List<String> meshFailures = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> viaMesh = CompletableFuture.runAsync(() -> {
            while (!stop.get()) {
                Cli curl = meshClient.curl("http://127.0.0.1:8091/");
                if (curl.ok() && curl.stdout().contains("Hello")) {
                    meshOk.incrementAndGet();
                } else {
                    meshFailures.add(curl.toString());
                }
            }
        });
        try {
            manager.ok("service", "update", "--image", "web:1.11", "api");
            manager.ok("service", "update", "--update-order", "start-first", "--force", "api");
            manager.ok("service", "scale", "api=1");
        } finally {
            stop.set(true);
            clientNode.ok("exec", container, "touch", "/tmp/stop");
        }
        viaMesh.get(60, TimeUnit.SECONDS);
        Cli vip = viaVip.get(90, TimeUnit.SECONDS);

        assertThat(meshFailures).as("requests through the mesh of node-2 that failed (%d answered)", meshOk.get()).isEmpty();
        assertThat(meshOk.get()).isPositive();
        assertThat(vip.exitCode()).as(clientNode.context(vip)).isZero();
        String[] counts = vip.stdout().strip().split(" ");
        assertThat(Integer.parseInt(counts[1])).as("requests through the VIP that failed, of %s", vip.stdout().strip()).isZero();
        assertThat(Integer.parseInt(counts[0])).isPositive();
        manager.ok("service", "rm", "api", "client");
    }

    @Test
    @Order(10)
    void serviceLogsGatherEveryTasksLinesFromAllThreeNodesWithTailAndFollow() {
        manager.ok("service", "create", "--name", "talk", "--mode", "global", "web:1.10", "sh", "-c",
                "echo oops >&2; for i in 1 2 3 4 5; do echo \"line $i\"; done; i=0; while sleep 1; do i=$((i+1)); echo \"tick $i\"; done");
        java.util.Set<String> hostnames = java.util.Set.of("node-1", "node-2", "node-3");
        String prefix = "talk\\.[a-z0-9]+\\.[a-z0-9]{12}@(node-[123])    \\| ";
        Cli logs = manager.until(CONVERGE, "line 5 of every task in `service logs`", c -> c.ok()
                && c.lines().stream().filter(l -> l.matches(prefix + "line 5")).count() == 3, "service", "logs", "talk");
        java.util.Map<String, List<String>> byTask = new java.util.TreeMap<>();
        for (String line : logs.lines()) {
            assertThat(line).as(manager.context(logs)).matches(prefix + "(line [1-5]|tick [0-9]+)");
            byTask.computeIfAbsent(line.substring(0, line.indexOf(' ')), k -> new ArrayList<>()).add(line.substring(line.indexOf("| ") + 2));
        }
        assertThat(byTask).as("one task per node").hasSize(3);
        assertThat(byTask.keySet()).extracting(k -> k.substring(k.indexOf('@') + 1)).containsExactlyInAnyOrderElementsOf(hostnames);
        assertThat(byTask.values()).as("each task's lines in order").allSatisfy(lines ->
                assertThat(lines.subList(0, 5)).containsExactly("line 1", "line 2", "line 3", "line 4", "line 5"));
        assertThat(logs.stderr().lines().filter(l -> l.matches(prefix + "oops")).count()).as("stderr lines on stderr").isEqualTo(3);

        // Each stream is stamped as its own reader takes it in (Docker's are too), so until a
        // task's first tick its last line may be "line 5" or its "oops": wait for the ticks.
        Cli tail = manager.until(CONVERGE, "a tick as every task's last line", c -> c.ok()
                && c.lines().size() == 3 && c.lines().stream().allMatch(l -> l.contains("| tick ")),
                "service", "logs", "--tail", "1", "--no-task-ids", "talk");
        assertThat(tail.lines()).as(manager.context(tail)).hasSize(3)
                .allSatisfy(l -> assertThat(l).matches("talk\\.[a-z0-9]+@node-[123]    \\| tick [0-9]+"));
        assertThat(tail.stderr()).doesNotContain("oops");
        Cli raw = manager.ok("service", "logs", "--raw", "-t", "--tail", "1", "talk");
        assertThat(raw.lines()).hasSize(3).allSatisfy(l -> assertThat(l).matches("20[0-9-]{8}T[0-9:]{8}(\\.[0-9]+)?Z tick [0-9]+"));

        // Follow for a bounded time: `timeout` ends the CLI as Ctrl-C would.
        Cli follow = Processes.run(Duration.ofSeconds(30), "timeout", "6", Processes.flotilla().toString(), "-H", manager.host(),
                "service", "logs", "-f", "--tail", "0", "talk");
        assertThat(follow.lines()).as("new ticks from every node, nothing older\n" + follow)
                .allSatisfy(l -> assertThat(l).matches(prefix + "tick [0-9]+"))
                .extracting(l -> l.substring(l.indexOf('@') + 1, l.indexOf(' '))).containsAll(hostnames);

        Cli unknown = manager.cli("service", "logs", "nope");
        assertThat(unknown.exitCode()).isNotZero();
        assertThat(unknown.stderr()).contains("no such task or service: nope");
        Cli container = cluster.node(2).ok("ps");
        String name = container.table().stream().map(r -> r.get("NAMES")).filter(n -> n.startsWith("talk.")).findFirst().orElseThrow();
        Cli local = cluster.node(2).ok("logs", "--tail", "2", name);
        assertThat(local.lines()).as(cluster.node(2).context(local)).hasSize(2).allSatisfy(l -> assertThat(l).matches("tick [0-9]+"));
        manager.ok("service", "rm", "talk");
    }

    @Test
    @Order(11)
    void aGlobalServiceRunsOneTaskPerNodeAndFollowsDrainAndDown() {
        Cli create = manager.ok("service", "create", "--name", "agent", "--mode", "global", "web:1.10");
        String id = create.lines().get(0).strip();
        assertThat(create.lines()).as(manager.context(create)).contains("overall progress: 3 out of 3 tasks")
                .filteredOn(l -> l.matches("[0-9a-z]{12}: running   \\[=+>\\]")).hasSize(3);
        assertThat(manager.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("agent"))
                .singleElement().satisfies(r -> {
                    assertThat(r.get("MODE")).isEqualTo("global");
                    assertThat(r.get("REPLICAS")).isEqualTo("3/3");
                });
        Cli ps = manager.ok("service", "ps", "agent");
        List<String> nodeIds = manager.ok("node", "ls", "-q").lines().stream().map(String::strip).sorted().toList();
        assertThat(ps.table()).as(manager.context(ps)).extracting(r -> r.get("NAME"))
                .containsExactlyInAnyOrderElementsOf(nodeIds.stream().map(n -> "agent." + n).toList());

        assertThat(manager.ok("service", "ls", "-f", "mode=global").table()).extracting(r -> r.get("NAME"))
                .containsExactly("agent");
        Cli filtered = manager.ok("service", "ps", "-f", "desired-state=running", "-f", "node=node-2", "web", "agent");
        assertThat(filtered.table()).as(manager.context(filtered)).isNotEmpty()
                .allSatisfy(r -> {
                    assertThat(r.get("NODE")).isEqualTo("node-2");
                    assertThat(r.get("DESIRED STATE")).isEqualTo("Running");
                })
                .anySatisfy(r -> assertThat(r.get("NAME")).startsWith("agent."));

        TestNode third = cluster.node(3);
        manager.ok("node", "update", "--availability", "drain", third.hostname());
        manager.until(CONVERGE, "agent at 2/2 with node-3 drained", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("NAME").equals("agent") && r.get("REPLICAS").equals("2/2")), "service", "ls");
        manager.ok("node", "update", "--availability", "active", third.hostname());
        manager.until(CONVERGE, "agent back at 3/3", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("NAME").equals("agent") && r.get("REPLICAS").equals("3/3")), "service", "ls");

        Cli scale = manager.cli("service", "scale", "agent=5");
        assertThat(scale.exitCode()).isNotZero();
        assertThat(scale.stderr()).contains("scale can only be used with replicated or replicated-job mode");
        Cli replicas = manager.cli("service", "update", "--replicas", "2", "agent");
        assertThat(replicas.exitCode()).isNotZero();
        assertThat(replicas.stderr()).contains("replicas can only be used with replicated or replicated-job mode");

        Cli update = manager.ok("service", "update", "--image", "web:1.11", "--update-parallelism", "0",
                "--update-monitor", "1s", "agent");
        assertThat(update.lines()).as(manager.context(update)).endsWith("verify: Service " + id + " converged");
        assertThat(current(manager.ok("service", "ps", "agent"))).hasSize(3)
                .allSatisfy(r -> assertThat(r.get("IMAGE")).isEqualTo("web:1.11"));

        Cli job = manager.ok("service", "create", "--name", "sweep", "--mode", "global-job", "web:1.10", "sh", "-c", "exit 0");
        assertThat(job.lines()).as(manager.context(job)).contains("job progress: 3 out of 3 complete").endsWith("job complete");
        assertThat(manager.ok("service", "ls").table()).filteredOn(r -> r.get("NAME").equals("sweep")).singleElement()
                .satisfies(r -> {
                    assertThat(r.get("MODE")).isEqualTo("global job");
                    assertThat(r.get("REPLICAS")).isEqualTo("0/0 (3/3 completed)");
                });
        assertThat(manager.ok("service", "ps", "sweep").table()).extracting(r -> r.get("NAME"))
                .containsExactlyInAnyOrderElementsOf(nodeIds.stream().map(n -> "sweep." + n).toList());

        third.killDaemon();
        manager.until(CONVERGE, "agent at 2/2 with node-3 Down", c -> c.ok() && c.table().stream()
                .anyMatch(r -> r.get("NAME").equals("agent") && r.get("REPLICAS").equals("2/2")), "service", "ls");
    }
}
